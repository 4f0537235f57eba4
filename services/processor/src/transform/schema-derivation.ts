import type { AvroField, AvroRecord, AvroSchema } from '@cdc/core';
import type { CompiledExpression } from '../rules/expression.ts';
import { describeType, splitNullable, valueKind } from './avro-kind.ts';
import { CoerceOp } from './coerce.ts';
import { ComputeOp } from './compute.ts';
import { COERCIBLE, TARGET_SCHEMA } from './convert.ts';
import { EnrichOp, type Enricher } from './enrich.ts';
import { schemaError, type StepPlace } from './errors.ts';
import { MaskOp, maskProblem, type Masker } from './mask.ts';
import { NormaliseOp, normaliseOutputType, normaliseProblem } from './normalise.ts';
import type { Op } from './op.ts';
import type { StepOf } from './step-config.ts';

/** A step with its schema-independent parts built once (salt read, expression parsed, cache made). */
export type CompiledStep = StepPlace &
  (
    | { readonly kind: 'select'; readonly fields: readonly string[] }
    | { readonly kind: 'drop'; readonly fields: readonly string[] }
    | { readonly kind: 'rename'; readonly renames: readonly (readonly [string, string])[] }
    | { readonly kind: 'coerce'; readonly step: StepOf<'coerce'> }
    | { readonly kind: 'normalise'; readonly step: StepOf<'normalise'> }
    | { readonly kind: 'mask'; readonly step: StepOf<'mask'>; readonly masker: Masker }
    | { readonly kind: 'compute'; readonly step: StepOf<'compute'>; readonly expression: CompiledExpression }
    | { readonly kind: 'enrich'; readonly enricher: Enricher }
  );

/** What the applier runs for one input schema: everything resolved to slot numbers. */
export interface Plan {
  readonly output: AvroRecord;
  readonly slotCount: number;
  /** Input fields read into slots (those some step or the output uses). */
  readonly loadNames: readonly string[];
  readonly loadSlots: readonly number[];
  readonly ops: readonly Op[];
  readonly outputNames: readonly string[];
  readonly outputSlots: readonly number[];
  readonly inputSlots: ReadonlyMap<string, number>;
}

/** A field between two steps. */
interface Column {
  readonly name: string;
  readonly slot: number;
  /** The non-null part of the type. */
  readonly type: AvroSchema;
  /** The input field when the value passes through unchanged: it is then written as it came. */
  readonly passThrough: AvroField | null;
  readonly doc?: string | undefined;
}

function modified(column: Column, type: AvroSchema): Column {
  return { name: column.name, slot: column.slot, type, passThrough: null, doc: column.doc };
}

function find(columns: readonly Column[], place: StepPlace, name: string, hint = ''): Column {
  const column = columns.find((candidate) => candidate.name === name);
  if (column) return column;
  throw schemaError(
    place,
    name,
    'no such field at this step',
    `fields here: ${columns.map((c) => c.name).join(', ') || 'none'}${hint}; correct the step or the steps before it`,
  );
}

function replace(columns: Column[], column: Column): void {
  const at = columns.findIndex((candidate) => candidate.name === column.name);
  if (at === -1) columns.push(column);
  else columns[at] = column;
}

function outputField(column: Column): AvroField {
  if (column.passThrough) {
    if (column.passThrough.name === column.name) return column.passThrough;
    // Renamed: pg.column would send sinks back to the old name.
    const renamed: { -readonly [K in keyof AvroField]: AvroField[K] } = {
      ...column.passThrough,
      name: column.name,
    };
    delete renamed['pg.column'];
    return renamed;
  }
  const type = Array.isArray(column.type) ? ['null', ...column.type] : ['null', column.type];
  return { name: column.name, type, default: null, ...(column.doc === undefined ? {} : { doc: column.doc }) };
}

/**
 * Runs the steps over the input schema's fields: checks each step against the fields it meets,
 * derives the output schema and builds the ops. Throws TRANSFORM_SCHEMA naming the step and field.
 */
export function derivePlan(steps: readonly CompiledStep[], input: AvroRecord): Plan {
  let slotCount = 0;
  const inputSlots = new Map<string, number>();
  let columns: Column[] = input.fields.map((field) => {
    const slot = slotCount++;
    inputSlots.set(field.name, slot);
    return {
      name: field.name,
      slot,
      type: splitNullable(field.type).type,
      passThrough: field,
      doc: field.doc,
    };
  });
  const ops: Op[] = [];
  const read = new Set<number>();

  for (const step of steps) {
    switch (step.kind) {
      case 'select':
        columns = step.fields.map((name) => find(columns, step, name));
        break;
      case 'drop': {
        for (const name of step.fields) find(columns, step, name);
        const dropped = new Set(step.fields);
        columns = columns.filter((column) => !dropped.has(column.name));
        break;
      }
      case 'rename': {
        const renames = new Map(step.renames);
        for (const [from, to] of step.renames) {
          find(columns, step, from);
          const clash = columns.find((column) => column.name === to);
          if (clash && !renames.has(to)) {
            throw schemaError(
              step,
              from,
              `cannot be renamed to ${to}, which exists already`,
              `drop ${to} first or choose another name`,
            );
          }
        }
        columns = columns.map((column) => {
          const to = renames.get(column.name);
          return to === undefined ? column : { ...column, name: to };
        });
        break;
      }
      case 'coerce': {
        const column = find(columns, step, step.step.field);
        const from = valueKind(column.type);
        if (!COERCIBLE[step.step.to].includes(from)) {
          throw schemaError(
            step,
            column.name,
            `cannot coerce ${describeType(column.type)} to ${step.step.to}`,
            `${step.step.to} can be made from ${COERCIBLE[step.step.to].join(', ')}`,
          );
        }
        read.add(column.slot);
        ops.push(new CoerceOp(column.slot, column.name, from, step.step.to));
        replace(columns, modified(column, TARGET_SCHEMA[step.step.to]));
        break;
      }
      case 'normalise': {
        const column = find(columns, step, step.step.field);
        const kind = valueKind(column.type);
        const problem = normaliseProblem(step.step, kind);
        if (problem) {
          throw schemaError(
            step,
            column.name,
            problem,
            'normalise another field, or coerce this one to string first',
          );
        }
        read.add(column.slot);
        ops.push(new NormaliseOp(column.slot, column.name, step.step, kind));
        replace(columns, modified(column, normaliseOutputType(step.step)));
        break;
      }
      case 'mask': {
        const column = find(columns, step, step.step.field);
        const problem = maskProblem(step.step.method, valueKind(column.type));
        if (problem) throw schemaError(step, column.name, problem, 'use method redact for this field');
        read.add(column.slot);
        ops.push(new MaskOp(column.slot, column.name, step.masker));
        replace(columns, modified(column, 'string'));
        break;
      }
      case 'compute': {
        const inputs = step.expression.fields.map((name) =>
          find(columns, step, name, ` (read by the expression ${step.expression.source})`),
        );
        for (const column of inputs) read.add(column.slot);
        const slot = slotCount++;
        const { field, type } = step.step;
        ops.push(
          new ComputeOp(
            step.expression,
            { slots: inputs.map((c) => c.slot), names: step.expression.fields },
            slot,
            field,
            type,
          ),
        );
        replace(columns, {
          name: field,
          slot,
          type: TARGET_SCHEMA[type],
          passThrough: null,
          doc: `computed: ${step.expression.source}`,
        });
        break;
      }
      case 'enrich': {
        const { enricher } = step;
        const keyColumns = enricher.template.fields.map((name) =>
          find(columns, step, name, ` (in the key ${enricher.template.source})`),
        );
        for (const column of keyColumns) {
          const kind = valueKind(column.type);
          if (kind === 'bytes' || kind === 'other') {
            throw schemaError(
              step,
              column.name,
              `a ${describeType(column.type)} cannot be part of a Redis key`,
              'key on a text or number field',
            );
          }
        }
        for (const column of keyColumns) read.add(column.slot);
        const outputSlots = enricher.outputFields.map(() => slotCount++);
        ops.push(
          new EnrichOp(
            enricher,
            keyColumns.map((c) => c.slot),
            outputSlots,
            keyColumns[0]?.name ?? '',
          ),
        );
        enricher.outputFields.forEach((name, i) => {
          replace(columns, {
            name,
            slot: outputSlots[i] as number,
            type: 'string',
            passThrough: null,
            doc: `from Redis ${enricher.template.source}, field ${enricher.hashFields[i]}`,
          });
        });
        break;
      }
    }
  }

  for (const column of columns) read.add(column.slot);
  // Only the input fields something reads are copied into slots.
  const loads = [...inputSlots].filter(([, slot]) => read.has(slot));
  return {
    output: {
      type: 'record',
      name: input.name,
      namespace: input.namespace,
      ...(input.doc === undefined ? {} : { doc: input.doc }),
      fields: columns.map(outputField),
    },
    slotCount,
    loadNames: loads.map(([name]) => name),
    loadSlots: loads.map(([, slot]) => slot),
    ops,
    outputNames: columns.map((column) => column.name),
    outputSlots: columns.map((column) => column.slot),
    inputSlots,
  };
}
