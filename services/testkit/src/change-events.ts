import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  RegistryCodec,
  kafkaBrokerList,
  kafkaClient,
  readHeader,
  type AvroRecord,
  type ChangeEnvelope,
  type StackEnv,
} from '@cdc/core';
import { envelopeSchema, keySchema, type TableColumn, type TableShape } from '@cdc/source-postgres';

/** A row of a change event as avsc decodes it under `avroOptions` (longs are BigInt). */
export type Row = Record<string, unknown>;

export type { ChangeEnvelope };

/**
 * Writes change events exactly as the PostgreSQL source does (its schemas, its envelope, its
 * subjects), so that processors can be tested on chosen events, poison included.
 */

const column = (name: string, kind: TableColumn['kind'], isKey = false): TableColumn => ({
  name,
  kind,
  nullable: !isKey,
  isKey,
});

export const PATIENT_COLUMNS: readonly TableColumn[] = [
  column('id', { kind: 'int64' }, true),
  column('mrn', { kind: 'text' }),
  column('given_name', { kind: 'text' }),
  column('family_name', { kind: 'text' }),
  column('email', { kind: 'text' }),
  column('phone', { kind: 'text' }),
  column('birth_date', { kind: 'date' }),
  column('facility_id', { kind: 'int64' }),
  column('ssn', { kind: 'text' }),
  column('updated_at', { kind: 'timestamptz' }),
];

export function patientShape(prefix: string, extra: readonly TableColumn[] = []): TableShape {
  return { prefix, schema: 'public', table: 'patients', columns: [...PATIENT_COLUMNS, ...extra] };
}

export interface PatientInput {
  id: number;
  mrn?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  email?: string | null;
  phone?: string | null;
  birth_date?: number | null;
  facility_id?: number | null;
  ssn?: string | null;
  updated_at?: bigint | null;
  [extra: string]: unknown;
}

/** A row as the source writes it: every column present, longs as BigInt. */
export function patientRow(input: PatientInput): Row {
  return {
    mrn: null,
    given_name: null,
    family_name: null,
    email: null,
    phone: null,
    birth_date: null,
    ssn: null,
    updated_at: null,
    ...input,
    id: BigInt(input.id),
    facility_id: input.facility_id == null ? null : BigInt(input.facility_id),
  };
}

export class ChangeEventWriter {
  readonly codec: RegistryCodec;
  readonly topic: string;
  readonly #producer: Producer;
  readonly #kafka: Kafka;
  #shape: TableShape;
  #ids: { key: number; value: number } | undefined;
  #lsn = 0x1000000n;

  constructor(env: StackEnv, topic: string, shape: TableShape) {
    this.codec = new RegistryCodec(env.SCHEMA_REGISTRY_URL);
    this.topic = topic;
    this.#shape = shape;
    this.#kafka = kafkaClient(kafkaBrokerList(env));
    this.#producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  get valueSchema(): AvroRecord {
    return envelopeSchema(this.#shape);
  }

  async connect(partitions = 3): Promise<void> {
    const admin = this.#kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: this.topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await this.#producer.connect();
  }

  /** Switches to a new table shape (an upstream ALTER TABLE): the next events use its schemas. */
  evolve(shape: TableShape): void {
    this.#shape = shape;
    this.#ids = undefined;
  }

  async #schemaIds(): Promise<{ key: number; value: number }> {
    this.#ids ??= {
      key: await this.codec.register(`${this.topic}-key`, keySchema(this.#shape)),
      value: await this.codec.register(`${this.topic}-value`, envelopeSchema(this.#shape)),
    };
    return this.#ids;
  }

  /** One committed transaction per call; each event gets the next version. */
  async write(
    events: ReadonlyArray<{ op: 'c' | 'u' | 'd' | 'r'; row: Row; before?: Row | null }>,
  ): Promise<void> {
    const ids = await this.#schemaIds();
    this.#lsn += 0x100n;
    const messages = events.flatMap((event, seq) => {
      const keyRow = Object.fromEntries(
        this.#shape.columns.filter((c) => c.isKey).map((c) => [c.name, event.row[c.name]]),
      );
      const key = this.codec.encode(ids.key, keySchema(this.#shape), keyRow);
      const envelope: ChangeEnvelope = {
        before: event.op === 'd' ? event.row : (event.before ?? null),
        after: event.op === 'd' ? null : event.row,
        op: event.op,
        ts_ms: BigInt(Date.now()),
        source: {
          version: 'test',
          connector: 'postgresql',
          name: this.#shape.prefix,
          ts_ms: BigInt(Date.now()),
          snapshot: 'false',
          db: 'test',
          schema: this.#shape.schema,
          table: this.#shape.table,
          txId: 1n,
          lsn: this.#lsn,
          commit_lsn: this.#lsn,
          seq: BigInt(seq),
        },
        unchanged_fields: [],
      };
      const value = this.codec.encode(ids.value, envelopeSchema(this.#shape), envelope);
      return event.op === 'd'
        ? [
            { key, value },
            { key, value: null },
          ]
        : [{ key, value }];
    });
    await this.#producer.send({ topic: this.topic, messages, acks: -1 });
  }

  /** Writes raw bytes (poison) with a valid key. */
  async writeRaw(id: number, value: Buffer): Promise<void> {
    const ids = await this.#schemaIds();
    const key = this.codec.encode(ids.key, keySchema(this.#shape), { id: BigInt(id) });
    await this.#producer.send({ topic: this.topic, messages: [{ key, value }], acks: -1 });
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }
}

/** Decodes a topic's messages with the registry (tombstones -> null). */
export async function decodeAll(
  codec: RegistryCodec,
  messages: readonly KafkaMessage[],
): Promise<Array<ChangeEnvelope | null>> {
  await codec.load(messages.flatMap((m) => (m.value ? [RegistryCodec.schemaIdOf(m.value)] : [])));
  return messages.map((m) => (m.value ? (codec.decode(m.value).value as ChangeEnvelope) : null));
}

/** One header of a record as text (readHeader). */
export function headerText(message: KafkaMessage, name: string): string | undefined {
  return readHeader(message.headers, name);
}
