import type { Redis } from 'ioredis';
import { CdcError, type AvroRecord } from '@cdc/core';
import { compileExpression } from '../rules/expression.ts';
import type { Row } from '../row.ts';
import { Enricher, prepareBatch } from './enrich.ts';
import type { StepPlace } from './errors.ts';
import { parseKeyTemplate } from './key-template.ts';
import { createMasker } from './mask.ts';
import type { Op } from './op.ts';
import { derivePlan, type CompiledStep, type Plan } from './schema-derivation.ts';
import { stepKind, type StepConfig } from './step-config.ts';

export interface CompiledSteps {
  /**
   * Binds the steps to an input row schema (the non-null branch of the envelope's `after`): the
   * output row schema and an applier; throws CdcError 'TRANSFORM_SCHEMA' naming the step (index
   * and kind) and the field when the steps do not fit the schema. Called once per input schema version.
   */
  forSchema(input: AvroRecord): BoundTransform;
  /**
   * Async work for a batch before apply: enrichment lookups, one pipelined Redis round trip for
   * every uncached key of the batch (bounded LRU+TTL cache).
   */
  prepare(rows: readonly Row[]): Promise<void>;
}

export interface BoundTransform {
  /** Same name and namespace as the input record. */
  readonly output: AvroRecord;
  /**
   * Transforms one row; `unchanged` lists the fields Postgres did not send (unchanged TOAST).
   * Throws TransformError for a record that cannot be transformed (dead-letter it).
   */
  apply(row: Row, unchanged: readonly string[]): { row: Row; unchanged: readonly string[] };
}

export interface StepDeps {
  /** Needed when a step enriches from Redis. */
  readonly redis?: Redis | undefined;
  /** Where hash salts are read (default process.env). */
  readonly env?: Record<string, string | undefined>;
}

const NONE: readonly string[] = Object.freeze([]);

class Applier implements BoundTransform {
  readonly output: AvroRecord;
  readonly #slotCount: number;
  readonly #loadNames: readonly string[];
  readonly #loadSlots: readonly number[];
  readonly #ops: readonly Op[];
  readonly #outputNames: readonly string[];
  readonly #outputSlots: readonly number[];
  readonly #inputSlots: ReadonlyMap<string, number>;

  constructor(plan: Plan) {
    this.output = plan.output;
    this.#slotCount = plan.slotCount;
    this.#loadNames = plan.loadNames;
    this.#loadSlots = plan.loadSlots;
    this.#ops = plan.ops;
    this.#outputNames = plan.outputNames;
    this.#outputSlots = plan.outputSlots;
    this.#inputSlots = plan.inputSlots;
  }

  apply(row: Row, unchanged: readonly string[]): { row: Row; unchanged: readonly string[] } {
    const values: unknown[] = new Array(this.#slotCount);
    const loadNames = this.#loadNames;
    const loadSlots = this.#loadSlots;
    for (let i = 0; i < loadNames.length; i++) {
      values[loadSlots[i] as number] = row[loadNames[i] as string] ?? null;
    }
    let flags: Uint8Array | null = null;
    if (unchanged.length > 0) {
      flags = new Uint8Array(this.#slotCount);
      for (const name of unchanged) {
        const slot = this.#inputSlots.get(name);
        if (slot !== undefined) flags[slot] = 1;
      }
    }
    const ops = this.#ops;
    for (let i = 0; i < ops.length; i++) (ops[i] as Op).run(values, flags);

    const names = this.#outputNames;
    const slots = this.#outputSlots;
    const out: Row = {};
    for (let i = 0; i < names.length; i++) out[names[i] as string] = values[slots[i] as number] ?? null;
    if (flags === null) return { row: out, unchanged: NONE };
    const stillUnchanged: string[] = [];
    for (let i = 0; i < names.length; i++) {
      if (flags[slots[i] as number] === 1) stillUnchanged.push(names[i] as string);
    }
    return { row: out, unchanged: stillUnchanged };
  }
}

function configError(place: StepPlace, message: string, fix: string, cause?: unknown): CdcError {
  return new CdcError('INVALID_CONFIG', `step ${place.index + 1} (${place.kind}): ${message}`, {
    fix,
    cause,
    details: { step: place.index, kind: place.kind },
  });
}

/**
 * Builds the steps' schema-independent parts once, at start-up: refuses to start without a hash
 * salt or a Redis client for enrichment, parses expressions and key templates.
 */
export function compileSteps(steps: readonly StepConfig[], deps: StepDeps = {}): CompiledSteps {
  const env = deps.env ?? process.env;
  const enrichers: Enricher[] = [];
  // For each field name, where its value comes from: an input field (a name) or the step that
  // changed it. Enrichment keys are built from the input rows before any step runs, so they
  // must name values that reach their step unchanged.
  const origin = new Map<string, string | StepPlace>();
  const originOf = (name: string): string | StepPlace => origin.get(name) ?? name;

  const compiled = steps.map((config, index): CompiledStep => {
    const kind = stepKind(config);
    const place = { index, kind };
    if ('select' in config) return { ...place, kind: 'select', fields: config.select };
    if ('drop' in config) return { ...place, kind: 'drop', fields: config.drop };
    if ('rename' in config) {
      const renames = Object.entries(config.rename);
      const moved = renames.map(([from, to]) => [to, originOf(from)] as const);
      for (const [from] of renames) origin.delete(from);
      for (const [to, source] of moved) origin.set(to, source);
      return { ...place, kind: 'rename', renames };
    }
    if ('coerce' in config) {
      origin.set(config.coerce.field, place);
      return { ...place, kind: 'coerce', step: config.coerce };
    }
    if ('normalise' in config) {
      origin.set(config.normalise.field, place);
      return { ...place, kind: 'normalise', step: config.normalise };
    }
    if ('mask' in config) {
      origin.set(config.mask.field, place);
      return { ...place, kind: 'mask', step: config.mask, masker: createMasker(config.mask, index, env) };
    }
    if ('compute' in config) {
      let expression;
      try {
        expression = compileExpression(config.compute.expr);
      } catch (error) {
        if (!(error instanceof CdcError)) throw error;
        throw new CdcError(
          error.code,
          `step ${index + 1} (compute) of ${config.compute.field}: ${error.message}`,
          {
            fix: error.fix ?? 'correct the expression',
            details: { ...error.details, step: index, kind },
            cause: error,
          },
        );
      }
      origin.set(config.compute.field, place);
      return { ...place, kind: 'compute', step: config.compute, expression };
    }
    const step = config.enrich;
    if (!deps.redis) {
      throw configError(
        place,
        'enrichment needs a Redis connection',
        'pass a Redis client to compileSteps (deps.redis)',
      );
    }
    const template = parseKeyTemplate(step.key);
    if (typeof template === 'string')
      throw configError(place, `key ${step.key} ${template}`, 'correct the key template');
    const inputFields = template.fields.map((name) => {
      const source = originOf(name);
      if (typeof source !== 'string') {
        throw configError(
          place,
          `the key field ${name} is changed by step ${source.index + 1} (${source.kind}) before it; ` +
            'keys are looked up for a whole batch from the input rows',
          `key on a field no earlier step changes, or move this step before step ${source.index + 1}`,
        );
      }
      return source;
    });
    const enricher = new Enricher(index, step, template, inputFields);
    enrichers.push(enricher);
    for (const name of enricher.outputFields) origin.set(name, place);
    return { ...place, kind: 'enrich', enricher };
  });

  const redis = deps.redis;
  return {
    forSchema: (input) => new Applier(derivePlan(compiled, input)),
    prepare: async (rows) => {
      if (enrichers.length === 0 || rows.length === 0 || !redis) return;
      await prepareBatch(redis, enrichers, rows);
    },
  };
}
