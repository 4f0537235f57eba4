import type { RuleConfig } from '../rules/rule-config.ts';
import { compileRules, type RowValidator } from '../rules/validator.ts';
import type { Violation } from '../row.ts';
import type { ChangeEnvelope } from './envelope.ts';
import { rowSchemaOf } from './envelope.ts';
import { ForwardedSchemas } from './forwarded-schemas.ts';
import { dead, type EventHandler, type InputEvent, type Outcome } from './handler.ts';
import { partViolation, violationOf } from './violation-of.ts';
import type { Decoded, RecordPart, RegistryCodec } from '@cdc/core';

/** Ops whose `after` row is checked; deletes and truncates pass unchecked (nothing to validate). */
const CHECKED_OPS = new Set(['c', 'u', 'r']);

/**
 * The validator: valid events are written to the output topic byte for byte (same key, same
 * version, same schema id when the registry agrees); invalid ones become dead letters with every
 * violated rule. Tombstones, deletes and truncates pass.
 */
export class ValidatorHandler implements EventHandler {
  readonly #codec: RegistryCodec;
  readonly #rules: RowValidator;
  readonly #keys: ForwardedSchemas;
  readonly #values: ForwardedSchemas;
  /** Per input schema id: rules naming fields the schema lacks (a config error, said per record). */
  readonly #schemaProblems = new Map<number, readonly Violation[]>();

  constructor(codec: RegistryCodec, rules: readonly RuleConfig[], output: string) {
    this.#codec = codec;
    this.#rules = compileRules(rules);
    this.#keys = new ForwardedSchemas(codec, output, 'key');
    this.#values = new ForwardedSchemas(codec, output, 'value');
  }

  async handleBatch(events: readonly InputEvent[]): Promise<Outcome[]> {
    await Promise.all([
      this.#keys.prepare(events.map((e) => e.key)),
      this.#values.prepare(events.map((e) => e.value)),
    ]);
    return events.map((event) => this.#handle(event));
  }

  // Synchronous work on one record cannot fail for a retriable reason: it is that record's fault.
  #handle(event: InputEvent): Outcome {
    const key = event.key === null ? null : forward(this.#keys, 'key', event.key);
    if (key !== null && !Buffer.isBuffer(key)) return dead([key]);
    if (event.value === null) return { kind: 'forward', key, value: null };
    let decoded: Decoded;
    try {
      decoded = this.#codec.decode(event.value);
    } catch (error) {
      return dead([partViolation('value', event.value, error)]);
    }
    try {
      const envelope = decoded.value as ChangeEnvelope;
      if (CHECKED_OPS.has(envelope.op) && envelope.after) {
        const problems = this.#problemsOf(decoded.schemaId, decoded.schema);
        if (problems.length > 0) return dead(problems);
        const violations = this.#rules.validate(envelope.after);
        if (violations.length > 0) return dead(violations);
      }
    } catch (error) {
      return dead([violationOf(error)]);
    }
    const value = forward(this.#values, 'value', event.value);
    return Buffer.isBuffer(value) ? { kind: 'forward', key, value } : dead([value]);
  }

  #problemsOf(schemaId: number, schema: Parameters<typeof rowSchemaOf>[0]): readonly Violation[] {
    let problems = this.#schemaProblems.get(schemaId);
    if (!problems) {
      const fields = rowSchemaOf(schema).fields.map((f) => f.name);
      problems = this.#rules
        .unknownFields(fields)
        .map((message) => ({ rule: 'config', field: null, message }));
      this.#schemaProblems.set(schemaId, problems);
    }
    return problems;
  }
}

/** The bytes of a part to write, or why they cannot be (naming the part and its schema id). */
function forward(schemas: ForwardedSchemas, part: RecordPart, bytes: Buffer): Buffer | Violation {
  try {
    return schemas.forward(bytes);
  } catch (error) {
    return partViolation(part, bytes, error);
  }
}
