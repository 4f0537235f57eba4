import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { CdcError, errorMessage, schemaRegistryOptions } from '@cdc/core';
import type { EnvelopeName } from '../config.ts';
import { envelopeFormat, type EnvelopeFormat, type FormattedRecord } from '../envelope-format.ts';
import type { ChangeRecord } from '../events/change-event.ts';
import type { OutRecord } from './kafka-writer.ts';
import { topicName, type AvroField, type AvroRecord, type TableShape } from '../avro/table-schemas.ts';

/** A table's topic, the registry ids of its key and value schemas, and its envelope's format. */
export interface RegisteredTable {
  readonly shape: TableShape;
  readonly topic: string;
  /** Undefined for a table without a message key (null keys, no key schema). */
  readonly keyId: number | undefined;
  readonly valueId: number;
  readonly format: EnvelopeFormat;
}

const WIRE_HEADER_BYTES = 5;

type FieldsOf = (shape: TableShape) => readonly AvroField[];

/** The row record's fields inside an envelope schema: its `before` is ['null', Value]. */
function rowFields(envelope: AvroRecord): readonly AvroField[] {
  const before = envelope.fields.find((field) => field.name === 'before')?.type;
  const row = Array.isArray(before) ? before.find((member) => typeof member === 'object') : undefined;
  return (row as AvroRecord | undefined)?.fields ?? [];
}

/**
 * Registers the schemas of a table under the topic-name strategy (docs/contracts.md, Topics:
 * `<topic>-key`, `<topic>-value`, BACKWARD) and encodes records in the registry's wire format,
 * each laid out by its table's envelope (shape.envelope, envelope-format.ts). One registrar serves
 * one stream or one snapshot: it holds one format per envelope, and Debezium's counts transactions.
 */
export class SchemaRegistrar {
  readonly registry: SchemaRegistry;
  readonly #url: string;
  readonly #formats = new Map<EnvelopeName, EnvelopeFormat>();
  // Per subject and schema text: re-registering the same schema is a wasted round trip.
  readonly #ids = new Map<string, number>();
  // The last shape registered per topic, to name the columns an incompatible change touches.
  readonly #shapes = new Map<string, TableShape>();
  // The registry client's own avsc Type per schema id (same options, same bytes), looked up once:
  // its encode() costs an async cache lookup and three buffer allocations per record.
  readonly #types = new Map<number, avro.Type>();
  // Records are written here behind room for the wire header, then copied out at their size.
  #scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(url: string) {
    this.#url = url.replace(/\/+$/u, '');
    this.registry = new SchemaRegistry({ host: this.#url }, schemaRegistryOptions);
  }

  #formatOf(shape: TableShape): EnvelopeFormat {
    const name = shape.envelope ?? 'cdc';
    let format = this.#formats.get(name);
    if (!format) {
      format = envelopeFormat(name);
      this.#formats.set(name, format);
    }
    return format;
  }

  async register(shape: TableShape): Promise<RegisteredTable> {
    const topic = topicName(shape.prefix, shape.schema, shape.table);
    const format = this.#formatOf(shape);
    const keyFields: FieldsOf = (s) => format.keySchema(s)?.fields ?? [];
    const valueFields: FieldsOf = (s) => rowFields(format.valueSchema(s));
    const key = format.keySchema(shape);
    const keyId = key && (await this.#register(`${topic}-key`, key, shape, keyFields));
    const valueId = await this.#register(`${topic}-value`, format.valueSchema(shape), shape, valueFields);
    this.#shapes.set(topic, shape);
    return { shape, topic, keyId, valueId, format };
  }

  /**
   * The records of one change as its table's envelope lays them out (envelope-format.ts): in
   * Debezium's, truncates are left out, so fewer may come back.
   */
  format(
    table: RegisteredTable,
    records: readonly ChangeRecord[],
    context: Parameters<EnvelopeFormat['format']>[2] = {},
  ): FormattedRecord[] {
    return table.format.format(table.shape, records, context);
  }

  /**
   * A change record as it goes to Kafka: key and value in the registry's wire format (null for a
   * tombstone's value and a truncate's key), with the headers of its envelope (record-headers.ts
   * for ours: the event's version, the other key on both halves of a key change) around the
   * trace context (docs/contracts.md, Headers).
   */
  async encodeRecord(
    table: RegisteredTable,
    record: FormattedRecord,
    trace: Readonly<Record<string, string>>,
  ): Promise<OutRecord> {
    return {
      topic: table.topic,
      key: record.key === null ? null : await this.encode(this.#keyId(table), record.key),
      value: record.value === null ? null : await this.encode(table.valueId, record.value),
      headers: record.headers(trace),
    };
  }

  /**
   * encodeRecord without a promise, for the stream's per-record path: undefined when a schema is
   * not loaded yet or the value does not fit it, and then encodeRecord loads it or names the fault.
   */
  tryEncodeRecord(
    table: RegisteredTable,
    record: FormattedRecord,
    trace: Readonly<Record<string, string>>,
  ): OutRecord | undefined {
    const keyType =
      record.key === null || table.keyId === undefined ? undefined : this.#types.get(table.keyId);
    const valueType = record.value === null ? undefined : this.#types.get(table.valueId);
    if ((record.key !== null && !keyType) || (record.value !== null && !valueType)) return undefined;
    try {
      return {
        topic: table.topic,
        key: keyType ? this.#wire(keyType, table.keyId!, record.key) : null,
        value: valueType ? this.#wire(valueType, table.valueId, record.value) : null,
        headers: record.headers(trace),
      };
    } catch {
      return undefined;
    }
  }

  #keyId(table: RegisteredTable): number {
    if (table.keyId === undefined) {
      throw new CdcError('NO_KEY_SCHEMA', `${table.topic} has no key schema, yet a record has a key`);
    }
    return table.keyId;
  }

  /** The registry's wire format: magic byte 0, the schema id (int32 big-endian), the Avro body. */
  encode(id: number, value: unknown): Promise<Buffer> {
    const type = this.#types.get(id);
    if (!type) {
      return this.registry.getSchema(id).then((schema) => {
        this.#types.set(id, schema as unknown as avro.Type);
        return this.encode(id, value);
      });
    }
    try {
      return Promise.resolve(this.#wire(type, id, value));
    } catch {
      // An invalid value: the registry client's error names the paths at fault.
      return this.registry.encode(id, value);
    }
  }

  #wire(type: avro.Type, id: number, value: unknown): Buffer {
    let end: number;
    while ((end = type.encode(value, this.#scratch, WIRE_HEADER_BYTES)) < 0) {
      this.#scratch = Buffer.allocUnsafe(Math.max(2 * this.#scratch.length, this.#scratch.length - end));
    }
    const out = Buffer.allocUnsafe(end);
    this.#scratch.copy(out, WIRE_HEADER_BYTES, WIRE_HEADER_BYTES, end);
    out[0] = 0;
    out.writeInt32BE(id, 1);
    return out;
  }

  async #register(subject: string, schema: AvroRecord, shape: TableShape, fieldsOf: FieldsOf) {
    const text = JSON.stringify(schema);
    const cacheKey = `${subject}\n${text}`;
    const known = this.#ids.get(cacheKey);
    if (known !== undefined) return known;
    try {
      const { id } = await this.registry.register({ type: SchemaType.AVRO, schema: text }, { subject });
      this.#ids.set(cacheKey, id);
      return id;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status === 409) throw await this.#incompatible(subject, shape, fieldsOf, error);
      const retriable = typeof status !== 'number' || status >= 500 || status === 408 || status === 429;
      throw new CdcError('SCHEMA_REGISTRY', `registering ${subject} failed: ${errorMessage(error)}`, {
        retriable,
        fix: retriable ? 'check that the schema registry is up and reachable' : undefined,
        details: { subject, status },
        cause: error,
      });
    }
  }

  async #incompatible(subject: string, shape: TableShape, fieldsOf: FieldsOf, cause: unknown) {
    const topic = topicName(shape.prefix, shape.schema, shape.table);
    const previousShape = this.#shapes.get(topic);
    // After a restart nothing is in memory: the registry's latest version is the previous shape.
    const previous = previousShape ? fieldsOf(previousShape) : await this.#latestFields(subject);
    const changes = previous ? describeChanges(previous, fieldsOf(shape)) : [];
    const table = `${shape.schema}.${shape.table}`;
    const what = changes.length > 0 ? changes.join('; ') : 'columns could not be compared';
    return new CdcError(
      'INCOMPATIBLE_SCHEMA_CHANGE',
      `the new schema of ${table} is not BACKWARD compatible with ${subject} (${what})`,
      {
        fix:
          `revert the change to ${table}, or make it compatible (add columns as nullable, do not change ` +
          `a column's type or the primary key); if consumers can take it, register it by hand after ` +
          `setting ${subject} to compatibility NONE, then restart`,
        details: { subject, table, changes },
        cause,
      },
    );
  }

  /** The row fields of the subject's latest version; undefined when it cannot be read. */
  async #latestFields(subject: string): Promise<readonly AvroField[] | undefined> {
    try {
      const response = await fetch(`${this.#url}/subjects/${encodeURIComponent(subject)}/versions/latest`);
      if (!response.ok) return undefined;
      const record = JSON.parse(((await response.json()) as { schema: string }).schema) as AvroRecord;
      return record.name === 'Key' ? record.fields : rowFields(record);
    } catch {
      return undefined; // only the error message gets poorer
    }
  }
}

/** What changed between two field lists, per PostgreSQL column, in words. */
export function describeChanges(previous: readonly AvroField[], next: readonly AvroField[]): string[] {
  const column = (field: AvroField) => field['pg.column'] ?? field.name;
  const before = new Map(previous.map((field) => [column(field), field]));
  const after = new Map(next.map((field) => [column(field), field]));
  const changes: string[] = [];
  for (const [name, field] of after) {
    const old = before.get(name);
    if (!old) changes.push(`column "${name}" added as ${JSON.stringify(field.type)}`);
    else if (JSON.stringify(old.type) !== JSON.stringify(field.type)) {
      changes.push(
        `column "${name}" changed from ${JSON.stringify(old.type)} to ${JSON.stringify(field.type)}`,
      );
    }
  }
  for (const name of before.keys()) if (!after.has(name)) changes.push(`column "${name}" removed`);
  return changes;
}
