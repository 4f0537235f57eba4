// The change events of `npm run bench:sinks`, as the PostgreSQL source writes them: its key and
// envelope schemas, its version and trace headers, in transactions of 1 to 4 changes.
import { randomBytes } from 'node:crypto';
import type { Message } from 'kafkajs';
import { CDC_HEADERS, RegistryCodec, avroType, wireFormat } from '@cdc/core';
import { envelopeSchema, keySchema } from '@cdc/source-postgres';
// The testkit's index pulls in vitest; its change events alone do not.
import { patientRow, patientShape, type Row } from '../services/testkit/src/change-events.ts';
import { prng, withAdmin } from './common.ts';
import { NAMESPACE, PARTITIONS, kafka, stack } from './sink-bench-context.ts';

const PRODUCE_CHUNK = 3000; // records per send: under the broker's 1 MB per partition

// Seeded: every run writes the same events.
const random = prng(20_261_122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');
const GIVEN = ['Marie', 'Jean', 'Camille', 'Léa', 'Lucas', 'Chloé', 'Hugo', 'Inès', 'Noah', 'Louise'];
const FAMILY = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy', 'Nguyen'];
const NOW_MICROS = BigInt(Date.UTC(2026, 10, 1)) * 1000n;

function newPatient(id: number): Row {
  const given = pick(GIVEN);
  const family = pick(FAMILY);
  return patientRow({
    id,
    mrn: `MRN${String(id).padStart(6, '0')}`,
    given_name: given,
    family_name: family,
    email: `${given.toLowerCase()}.${family.toLowerCase()}${digits(2)}@example.fr`,
    phone: `+33 6 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
    birth_date: -9000 + Math.floor(random() * 28_000),
    facility_id: 1 + Math.floor(random() * 40),
    ssn: `${pick(['1', '2'])}${digits(12)}`,
    updated_at: NOW_MICROS + BigInt(id),
  });
}

function updated(row: Row): Row {
  const next: Row = { ...row, updated_at: (row.updated_at as bigint) + 1_000_000n };
  const roll = random();
  if (roll < 0.4) next.phone = `+33 7 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`;
  else if (roll < 0.7) next.email = `patient.${digits(6)}@example.fr`;
  else next.facility_id = BigInt(1 + Math.floor(random() * 40));
  return next;
}

export interface Produced {
  readonly records: number;
  readonly inserts: number;
  readonly updates: number;
  readonly keys: number;
  readonly recordsPerS: number;
  /** Every row as its last event left it. */
  readonly rows: Map<number, Row>;
  readonly lastLsn: bigint;
}

/** Which rows the events change, in order. */
export interface EventPlan {
  readonly events: number;
  /** The id of the n-th change (n from 0). */
  readonly idOf: (n: number) => number;
  /** Rows already written by an earlier topic: their changes are updates. */
  readonly rows?: ReadonlyMap<number, Row>;
  /** The first version (commit LSN) is above every version of the earlier topic. */
  readonly firstLsn?: bigint;
}

/** Changes of random rows among `keys`: the first change of a row is its insert, later ones updates. */
export function mixedPlan(events: number, keys: number): EventPlan {
  return { events, idOf: () => 1 + Math.floor(random() * keys) };
}

/**
 * Transactions of 1 to 4 changes of the rows the plan names. Headers as the source writes them:
 * the version and a trace context, which the runtime continues per record.
 */
export async function produceEvents(topic: string, plan: EventPlan): Promise<Produced> {
  const shape = patientShape(NAMESPACE);
  const codec = new RegistryCodec(stack.SCHEMA_REGISTRY_URL);
  const ids = {
    key: await codec.register(`${topic}-key`, keySchema(shape)),
    value: await codec.register(`${topic}-value`, envelopeSchema(shape)),
  };
  const keyType = avroType(keySchema(shape));
  const valueType = avroType(envelopeSchema(shape));
  const rows = new Map<number, Row>(plan.rows ?? []);
  const messages: Message[] = [];
  let [inserts, updates] = [0, 0];
  let lsn = plan.firstLsn ?? 0x2000000n;
  let txId = 9_000_000n;
  const commitMs = BigInt(Date.now());
  while (messages.length < plan.events) {
    const size = 1 + Math.floor(random() * 4);
    txId += 1n;
    const commitLsn = lsn + BigInt(size) * 0x100n + 0x80n;
    for (let seq = 0; seq < size && messages.length < plan.events; seq++) {
      lsn += 0x100n;
      const id = plan.idOf(messages.length);
      const previous = rows.get(id);
      const row = previous ? updated(previous) : newPatient(id);
      rows.set(id, row);
      if (previous) updates += 1;
      else inserts += 1;
      const value = valueType.toBuffer({
        before: null,
        after: row,
        op: previous ? 'u' : 'c',
        ts_ms: commitMs + 3n,
        source: {
          version: '0.1.0',
          connector: 'postgresql',
          name: NAMESPACE,
          ts_ms: commitMs,
          snapshot: 'false',
          db: NAMESPACE,
          schema: shape.schema,
          table: shape.table,
          txId,
          lsn,
          commit_lsn: commitLsn,
          seq: BigInt(seq),
        },
        unchanged_fields: [],
      });
      messages.push({
        key: wireFormat(ids.key, keyType.toBuffer({ id: BigInt(id) })),
        value: wireFormat(ids.value, value),
        headers: {
          [CDC_HEADERS.commitLsn]: commitLsn.toString(),
          [CDC_HEADERS.seq]: String(seq),
          traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        },
      });
    }
    lsn = commitLsn;
  }

  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
  );
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const startMs = Date.now();
    // One send at a time: concurrent sends may land out of order, and a row's later version ahead
    // of its earlier one would make the earlier one stale at the sink.
    for (let next = 0; next < messages.length; next += PRODUCE_CHUNK) {
      await producer.send({ topic, messages: messages.slice(next, next + PRODUCE_CHUNK), acks: -1 });
    }
    const recordsPerS = messages.length / ((Date.now() - startMs) / 1000);
    return { records: messages.length, inserts, updates, keys: rows.size, recordsPerS, rows, lastLsn: lsn };
  } finally {
    await producer.disconnect();
  }
}
