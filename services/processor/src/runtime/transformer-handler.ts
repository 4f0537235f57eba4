import type avro from 'avsc';
import { avroType, wireFormat, type AvroRecord } from '@cdc/core';
import type { Row, Violation } from '../row.ts';
import type { CompiledSteps, BoundTransform } from '../transform/steps.ts';
import { namespaceOf, rowSchemaOf, withRowSchema, type ChangeEnvelope } from './envelope.ts';
import { ForwardedSchemas, isRetriable } from './forwarded-schemas.ts';
import { dead, type EventHandler, type InputEvent, type Outcome } from './handler.ts';
import { partReason, type Decoded, type RegistryCodec } from '@cdc/core';
import { partViolation, violationOf } from './violation-of.ts';

/** Per input schema id: the bound steps and the output schema with its id, or why there is none. */
type OutputShape =
  | {
      readonly transform: BoundTransform;
      readonly schema: AvroRecord;
      readonly schemaId: number;
      /** The schema compiled once: the codec's encode looks its type up by the schema's JSON text. */
      readonly type: avro.Type;
    }
  | { readonly problem: Violation };

/**
 * The transformer: applies the steps to `before` and `after`, and writes the event under an
 * output schema derived from the input schema and the steps, registered under `<output>-value`.
 * A new upstream schema version gets its own derived version (schema evolution flows through).
 * Keys pass unchanged.
 */
export class TransformerHandler implements EventHandler {
  readonly #codec: RegistryCodec;
  readonly #steps: CompiledSteps;
  readonly #output: string;
  readonly #namespace: string;
  readonly #keys: ForwardedSchemas;
  readonly #shapes = new Map<number, OutputShape>();

  constructor(codec: RegistryCodec, steps: CompiledSteps, output: string) {
    this.#codec = codec;
    this.#steps = steps;
    this.#output = output;
    this.#namespace = namespaceOf(output);
    this.#keys = new ForwardedSchemas(codec, output, 'key');
  }

  async handleBatch(events: readonly InputEvent[]): Promise<Outcome[]> {
    const valueIds = new Set<number>();
    for (const event of events) {
      if (event.value && event.value.length >= 5 && event.value[0] === 0)
        valueIds.add(event.value.readUInt32BE(1));
    }
    await Promise.all([this.#keys.prepare(events.map((e) => e.key)), this.#codec.load(valueIds)]);

    const decoded = events.map((event) => this.#decode(event));
    await Promise.all([...valueIds].map((id) => this.#shapeOf(id)));
    const rows: Row[] = [];
    for (const item of decoded) {
      if (!('envelope' in item)) continue;
      if (item.envelope.before) rows.push(item.envelope.before);
      if (item.envelope.after) rows.push(item.envelope.after);
    }
    await this.#steps.prepare(rows); // enrichment lookups: retried as a batch when Redis is away

    return events.map((event, i) => this.#handle(event, decoded[i] as DecodeResult));
  }

  #decode(event: InputEvent): DecodeResult {
    if (event.value === null) return { tombstone: true };
    try {
      const result = this.#codec.decode(event.value);
      return { decoded: result, envelope: result.value as ChangeEnvelope };
    } catch (error) {
      return { problem: partViolation('value', event.value, error) };
    }
  }

  #handle(event: InputEvent, item: DecodeResult): Outcome {
    let key: Buffer | null = null;
    if (event.key !== null) {
      try {
        const forwarded = this.#keys.forward(event.key);
        if (!Buffer.isBuffer(forwarded)) return dead([forwarded]);
        key = forwarded;
      } catch (error) {
        return dead([partViolation('key', event.key, error)]);
      }
    }
    try {
      if ('tombstone' in item) return { kind: 'forward', key, value: null };
      if ('problem' in item) return dead([item.problem]);
      const { schemaId } = item.decoded;
      const shape = this.#shapes.get(schemaId);
      if (!shape) return dead([partReason('schema', 'value', schemaId, 'no output schema')]);
      if ('problem' in shape) return dead([shape.problem]);
      const { envelope } = item;
      const unchanged = envelope.unchanged_fields;
      const after = envelope.after ? shape.transform.apply(envelope.after, unchanged) : undefined;
      const before = envelope.before ? shape.transform.apply(envelope.before, []).row : null;
      const value = wireFormat(
        shape.schemaId,
        shape.type.toBuffer({
          ...envelope,
          before,
          after: after ? after.row : null,
          unchanged_fields: after ? [...after.unchanged] : unchanged,
        }),
      );
      return { kind: 'forward', key, value };
    } catch (error) {
      return dead([violationOf(error)]);
    }
  }

  async #shapeOf(schemaId: number): Promise<void> {
    if (this.#shapes.has(schemaId)) return;
    const input = this.#codec.schemaOf(schemaId);
    if (!input) return; // unknown id: each record says so
    let schema: AvroRecord;
    let transform: BoundTransform;
    try {
      transform = this.#steps.forSchema(rowSchemaOf(input));
      schema = withRowSchema(input, transform.output, this.#namespace);
    } catch (error) {
      const { field, message } = violationOf(error);
      this.#shapes.set(schemaId, { problem: { ...partReason('schema', 'value', schemaId, message), field } });
      return;
    }
    try {
      const id = await this.#codec.register(`${this.#output}-value`, schema);
      this.#shapes.set(schemaId, { transform, schema, schemaId: id, type: avroType(schema) });
    } catch (error) {
      if (isRetriable(error)) throw error;
      this.#shapes.set(schemaId, {
        problem: partReason(
          'schema',
          'value',
          schemaId,
          `the registry refused the schema derived from schema id ${schemaId}: ${violationOf(error).message}`,
        ),
      });
    }
  }
}

type DecodeResult =
  | { readonly tombstone: true }
  | { readonly problem: Violation }
  | { readonly decoded: Decoded; readonly envelope: ChangeEnvelope };
