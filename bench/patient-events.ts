// The input of `npm run bench:processors`: patient change events of connectors/health-care.sql's
// patients table, seeded (every run processes the same events), encoded as the PostgreSQL source
// encodes them (its key and envelope schemas, docs/contracts.md).
import type { Message } from 'kafkajs';
import { avroType, CDC_HEADERS, wireFormat } from '@cdc/core';
import type { Row } from '@cdc/processor';
import { envelopeSchema, keySchema, type TableColumn, type TableShape } from '@cdc/source-postgres';
import { prng } from './common.ts';

export const FACILITIES = 40;
// Facility ids far above the demo data's, so that seeding facility:<id> leaves the demo's hashes alone.
export const FIRST_FACILITY = 900_001;

// ---------------------------------------------------------------- the patients table

const column = (name: string, kind: TableColumn['kind'], nullable = true, isKey = false): TableColumn => ({
  name,
  kind,
  nullable,
  isKey,
});

/** connectors/health-care.sql's patients, in column order, as the source reads them from pg_attribute. */
export const SHAPE: TableShape = {
  prefix: 'cdc',
  schema: 'public',
  table: 'patients',
  columns: [
    column('id', { kind: 'int64' }, false, true),
    column('mrn', { kind: 'text' }, false),
    column('given_name', { kind: 'text' }),
    column('family_name', { kind: 'text' }),
    column('birth_date', { kind: 'date' }),
    column('sex', { kind: 'text' }),
    column('phone', { kind: 'text' }),
    column('email', { kind: 'text' }),
    column('ssn', { kind: 'text' }),
    column('facility_id', { kind: 'int64' }),
    column('updated_at', { kind: 'timestamptz' }, false),
  ],
};

// ---------------------------------------------------------------- realistic change events

// Seeded: every run processes the same events.
const random = prng(20_260_001);
/** From the events' random sequence: bench/processors.ts seeds Redis with it before generating. */
export const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');

// As clerks type them: case and surrounding spaces vary (the transformer normalises them).
const GIVEN = ['Marie', 'jean', 'Camille', 'LÉA', ' Lucas', 'marie-claire', 'Chloé ', 'hugo', 'Inès', 'Noah'];
const GIVEN_MORE = ['Louise', 'gabriel', 'Jade', 'arthur', "D'Artagnan", 'Zoé', 'Raphaël', 'Manon', 'Adam'];
const FAMILY = ['Martin', 'bernard', ' Dubois', 'THOMAS', 'Robert ', 'Petit', 'Durand', 'leroy', 'Moreau'];
const FAMILY_MORE = ['Lefèvre', 'Garcia', 'de la Fontaine', "O'Connor", 'Nguyen', 'Müller', 'Fournier'];
const DOMAINS = ['example.fr', 'Example.COM', 'mail.example.org', 'hopital-exemple.fr', 'exemple.net'];
const SEXES = ['female', 'male', 'female', 'male', 'other', 'unknown'];

/** French numbers in the ways they are written, some from abroad, a few no phone can parse. */
function phone(): string | null {
  const roll = random();
  if (roll < 0.1) return null;
  if (roll < 0.11) return pick(['n/a', '00 00 00 00 00', '12 34', 'voir dossier', '06 12 34']);
  const two = () => digits(2);
  // Assigned ranges only: 06 1x-8x and 07 5x-8x mobiles, 01-05 and 09 geographic and VoIP numbers.
  const mobile = () =>
    random() < 0.8 ? `6 ${1 + Math.floor(random() * 8)}` : `7 ${5 + Math.floor(random() * 4)}`;
  const fixed = () => `${pick(['1', '2', '3', '4', '5', '9'])} ${1 + Math.floor(random() * 9)}`;
  const spaced = (start: string) => `${start}${digits(1)} ${two()} ${two()} ${two()}`;
  if (roll < 0.36) return `0${spaced(mobile())}`;
  if (roll < 0.5) return `0${spaced(mobile())}`.replace(/ /gu, '');
  if (roll < 0.6) return `+33 ${spaced(mobile())}`;
  if (roll < 0.67) return `+33${spaced(mobile())}`.replace(/ /gu, '');
  if (roll < 0.77) return `0${spaced(fixed())}`.replace(/ /gu, '.');
  if (roll < 0.85) return `0${spaced(fixed())}`;
  if (roll < 0.88) return `0033 ${spaced(mobile())}`;
  if (roll < 0.91) return `+32 4${pick(['7', '8', '9'])}${digits(1)} ${two()} ${two()} ${two()}`; // Belgian mobile
  if (roll < 0.94) return `+41 7${pick(['6', '7', '8', '9'])} ${digits(3)} ${two()} ${two()}`; // Swiss mobile
  if (roll < 0.97) return `+44 7${pick(['4', '5', '8', '9'])}${two()} ${digits(6)}`; // UK mobile
  return `+1 ${pick(['212', '415', '617', '514'])} ${pick(['2', '3', '4', '6', '7', '8'])}${two()} ${digits(4)}`;
}

const DAY_MS = 86_400_000;
const BIRTH_FROM = Math.floor(Date.UTC(1925, 0, 1) / DAY_MS);
const BIRTH_TO = Math.floor(Date.UTC(2024, 0, 1) / DAY_MS);
const NOW_MICROS = BigInt(Date.UTC(2026, 10, 1)) * 1000n;

function newPatient(id: number): Row {
  const given = random() < 0.5 ? pick(GIVEN) : pick(GIVEN_MORE);
  const family = random() < 0.5 ? pick(FAMILY) : pick(FAMILY_MORE);
  const ascii = (text: string) =>
    text
      .trim()
      .normalize('NFD')
      .replace(/[^A-Za-z'-]/gu, '')
      .replace(/'/gu, '');
  return {
    id: BigInt(id),
    mrn: `MRN${String(id % 1_000_000).padStart(6, '0')}`,
    given_name: random() < 0.03 ? null : given,
    family_name: family,
    birth_date: random() < 0.02 ? null : BIRTH_FROM + Math.floor(random() * (BIRTH_TO - BIRTH_FROM)),
    sex: random() < 0.05 ? null : pick(SEXES),
    phone: phone(),
    email:
      random() < 0.15
        ? null
        : `${ascii(given)}.${ascii(family)}${random() < 0.3 ? digits(2) : ''}@${pick(DOMAINS)}`,
    ssn: random() < 0.1 ? null : `${pick(['1', '2'])}${digits(12)}`,
    facility_id: random() < 0.05 ? null : BigInt(FIRST_FACILITY + Math.floor(random() * FACILITIES)),
    updated_at: NOW_MICROS + BigInt(Math.floor(random() * 1e12)),
  };
}

/** What a clerk changes: contact details mostly, sometimes the facility or a name's spelling. */
function updated(row: Row): Row {
  const next: Row = { ...row, updated_at: (row.updated_at as bigint) + BigInt(Math.floor(random() * 1e10)) };
  const roll = random();
  if (roll < 0.35) next.phone = phone();
  else if (roll < 0.6) next.email = `patient.${digits(6)}@${pick(DOMAINS)}`;
  else if (roll < 0.8) next.facility_id = BigInt(FIRST_FACILITY + Math.floor(random() * FACILITIES));
  else if (roll < 0.9) next.family_name = pick(FAMILY_MORE);
  else next.sex = pick(SEXES);
  return next;
}

/** One thing wrong, of the kinds the demo's rules catch. */
function defective(row: Row): Row {
  switch (Math.floor(random() * 7)) {
    case 0:
      return { ...row, mrn: `MRN${digits(4)}` };
    case 1:
      return { ...row, mrn: `mrn-${digits(6)}` };
    case 2:
      return { ...row, family_name: null };
    case 3:
      return { ...row, email: pick(['jean.dupont@', 'jean dupont@example.fr', 'marie.example.fr']) };
    case 4:
      return { ...row, sex: pick(['F', 'M', 'homme', 'femme']) };
    case 5:
      return { ...row, birth_date: -60_000 - Math.floor(random() * 10_000) }; // before 1820
    default:
      return { ...row, family_name: 'X'.repeat(101 + Math.floor(random() * 50)) };
  }
}

export interface ChangeEvent {
  readonly op: 'c' | 'u' | 'd';
  readonly key: Row;
  readonly before: Row | null;
  readonly after: Row | null;
  readonly txId: bigint;
  readonly lsn: bigint;
  readonly commitLsn: bigint;
  readonly seq: bigint;
  readonly commitMs: bigint;
}

export interface Generated {
  readonly events: ChangeEvent[];
  /** Records in the topic: events plus one tombstone per delete. */
  readonly records: number;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
}

const DEFECT_RATE = 0.05;
const DELETE_RATE = 0.015;
const INSERT_RATE = 0.55;

export function generate(count: number): Generated {
  const live: number[] = [];
  const rows = new Map<number, Row>();
  const events: ChangeEvent[] = [];
  let [records, inserts, updates, deletes] = [0, 0, 0, 0];
  let nextId = 1;
  let txId = 7_000_000n;
  let lsn = 0x16b3748n;
  let commitMs = BigInt(Date.UTC(2026, 10, 1, 8));
  while (records < count) {
    // Transactions of 1 to 4 changes, as an application writes them.
    const size = 1 + Math.floor(random() * 4);
    txId += 1n;
    commitMs += BigInt(Math.floor(random() * 20));
    const commitLsn = lsn + BigInt(size) * 0x100n + 0x80n;
    for (let seq = 0; seq < size && records < count; seq++) {
      lsn += 0x100n;
      const roll = random();
      const common = { txId, lsn, commitLsn, seq: BigInt(seq), commitMs };
      if (live.length > 0 && roll < DELETE_RATE && records + 2 <= count) {
        const at = Math.floor(random() * live.length);
        const id = live[at] as number;
        live[at] = live.at(-1) as number;
        live.pop();
        rows.delete(id);
        const key = { id: BigInt(id) };
        // REPLICA IDENTITY DEFAULT: `before` holds the key columns only.
        const before: Row = Object.fromEntries(SHAPE.columns.map((c) => [c.name, c.isKey ? key.id : null]));
        events.push({ op: 'd', key, before, after: null, ...common });
        [records, deletes] = [records + 2, deletes + 1];
        continue;
      }
      let row: Row;
      let op: 'c' | 'u';
      if (live.length === 0 || roll < DELETE_RATE + INSERT_RATE) {
        const id = nextId++;
        row = newPatient(id);
        live.push(id);
        [op, inserts] = ['c', inserts + 1];
      } else {
        const id = live[Math.floor(random() * live.length)] as number;
        row = updated(rows.get(id) as Row);
        [op, updates] = ['u', updates + 1];
      }
      rows.set(Number(row.id), row);
      const after = random() < DEFECT_RATE ? defective(row) : row;
      events.push({ op, key: { id: row.id }, before: null, after, ...common });
      records += 1;
    }
    lsn = commitLsn;
  }
  return { events, records, inserts, updates, deletes };
}

/** The source's records (docs/contracts.md): the envelope, and a tombstone after each delete. */
export function encode(events: readonly ChangeEvent[], ids: { key: number; value: number }): Message[] {
  const keyType = avroType(keySchema(SHAPE));
  const valueType = avroType(envelopeSchema(SHAPE));
  const messages: Message[] = [];
  for (const event of events) {
    const key = wireFormat(ids.key, keyType.toBuffer(event.key));
    const value = wireFormat(
      ids.value,
      valueType.toBuffer({
        before: event.before,
        after: event.after,
        op: event.op,
        ts_ms: event.commitMs + 3n,
        source: {
          version: '0.1.0',
          connector: 'postgresql',
          name: SHAPE.prefix,
          ts_ms: event.commitMs,
          snapshot: 'false',
          db: 'cdc',
          schema: SHAPE.schema,
          table: SHAPE.table,
          txId: event.txId,
          lsn: event.lsn,
          commit_lsn: event.commitLsn,
          seq: event.seq,
        },
        unchanged_fields: [],
      }),
    );
    messages.push({ key, value });
    if (event.op === 'd') messages.push({ key, value: null });
  }
  return messages;
}

/**
 * The records again with the headers the source puts on each (record-headers.ts of
 * source-postgres): the version, and the trace context of a source traced at `sampledShare`
 * (flags 01 on that share of the changes, 00 on the others; a tombstone in its delete's trace).
 * The processors follow that decision (parentbased sampler), as in the pipeline.
 */
export function withSourceHeaders(
  events: readonly ChangeEvent[],
  messages: readonly Message[],
  sampledShare: number,
): Message[] {
  const random = prng(20_260_002); // not the events' sequence: the events stay the same
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const out: Message[] = [];
  let at = 0;
  for (const event of events) {
    const traceId = hex(16);
    const flags = random() < sampledShare ? '01' : '00';
    const version = {
      [CDC_HEADERS.commitLsn]: event.commitLsn.toString(),
      [CDC_HEADERS.seq]: event.seq.toString(),
    };
    for (let i = 0; i < (event.op === 'd' ? 2 : 1); i++) {
      const message = messages[at++] as Message;
      out.push({ ...message, headers: { ...version, traceparent: `00-${traceId}-${hex(8)}-${flags}` } });
    }
  }
  return out;
}
