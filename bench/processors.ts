// `npm run bench:processors`: throughput of one processor instance of the demo pipeline
// (connectors/health-care.yaml) on the running stack, for each kind and delivery mode.
//
//   1. BENCH_EVENTS (200000) patient change events, encoded as the PostgreSQL source encodes them
//      (its key and envelope schemas for the patients table of connectors/health-care.sql), are
//      produced into a fresh 3-partition topic: mostly inserts and updates, about 5% rows the
//      validator refuses, a few deletes (each followed by its tombstone). The events the
//      validator accepts are produced again into a second topic, the transformer's input.
//   2. validate-patients and transform-patients each run alone in a child process
//      (bench/processor-worker.ts), under at_least_once and exactly_once, with a fresh consumer
//      group and a fresh output topic: events/s = records consumed / (the first batch handed to
//      the processor -> the last record's outputs and offset committed).
//   3. The same for the validator's runtime with a handler that forwards the bytes untouched
//      (pass-through): the runtime's ceiling on this machine.
//
// Topics, subjects, consumer groups and Redis keys are the benchmark's own and removed at the end.
// Writes bench/results/processors.json and a section of BENCHMARKS.md.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Message } from 'kafkajs';
import {
  avroType,
  kafkaBrokerList,
  kafkaClient,
  readStackEnv,
  silenceKnownKafkajsWarnings,
  wireFormat,
} from '@cdc/core';
import { findProcessor, loadPipelineConfig, type ProcessorConfig } from '@cdc/pipeline';
import { compileRules, RegistryCodec, type DeliveryMode, type ProcessorSpec, type Row } from '@cdc/processor';
import { envelopeSchema, keySchema, type TableColumn, type TableShape } from '@cdc/source-postgres';
import { intFromEnv, machine, markdownTable, prng, round, withAdmin, writeRunSection } from './common.ts';
import type { WorkerInput, WorkerMessage, WorkerReport } from './processor-worker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const EVENTS = intFromEnv('BENCH_EVENTS', 200_000);
const PARTITIONS = intFromEnv('BENCH_PARTITIONS', 3);
const PIPELINE_FILE = join(root, 'connectors/health-care.yaml');
const TARGET_EVENTS_PER_S = 50_000;
const STALL_MS = 90_000;
const PRODUCE_CHUNK = 2000; // records per send: well under the broker's batch size limit per partition
const PRODUCE_IN_FLIGHT = 4;
const FACILITIES = 40;
// Facility ids far above the demo data's, so that seeding facility:<id> leaves the demo's hashes alone.
const FIRST_FACILITY = 900_001;
// BENCH_ONLY=validator:at_least_once,transformer:exactly_once runs only those (for experiments):
// the figures are printed, not recorded.
const ONLY = process.env.BENCH_ONLY?.split(',').map((item) => item.trim());
// Node flags of the processor process (none by default, as `cdc processor run`), e.g. for experiments.
const WORKER_FLAGS = process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [];

silenceKnownKafkajsWarnings();
const stack = readStackEnv();
const brokers = kafkaBrokerList(stack);
const kafka = kafkaClient(brokers, { clientId: 'bench-processors' });
const run = Date.now().toString(36);
const PREFIX = 'bench.processors';
const topics = {
  input: `${PREFIX}.${run}.cdc.public.patients`,
  valid: `${PREFIX}.${run}.cdc.public.patients.valid`,
};
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------- the patients table

const column = (name: string, kind: TableColumn['kind'], nullable = true, isKey = false): TableColumn => ({
  name,
  kind,
  nullable,
  isKey,
});

/** connectors/health-care.sql's patients, in column order, as the source reads them from pg_attribute. */
const SHAPE: TableShape = {
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
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
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

interface ChangeEvent {
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

interface Generated {
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

function generate(count: number): Generated {
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
function encode(events: readonly ChangeEvent[], ids: { key: number; value: number }): Message[] {
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

// ---------------------------------------------------------------- stack set-up and clean-up

const facilityKey = (index: number) => `facility:${FIRST_FACILITY + index}`;

async function seedFacilities(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const pipeline = redis.pipeline();
    for (let i = 0; i < FACILITIES; i++) {
      pipeline.hset(facilityKey(i), {
        name: `Centre de vaccination ${i + 1}`,
        region: pick(['Île-de-France', 'Bretagne', 'Occitanie', 'Grand Est', "Provence-Alpes-Côte d'Azur"]),
      });
    }
    await pipeline.exec();
  } finally {
    redis.disconnect();
  }
}

/** Everything the benchmark created, of this run and of runs that did not get to clean up. */
async function cleanUp(redisUrl: string): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(`${PREFIX}.`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((group) => group.startsWith('bench-processors-'));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  });
  const base = stack.SCHEMA_REGISTRY_URL.replace(/\/+$/u, '');
  const response = await fetch(`${base}/subjects`);
  if (response.ok) {
    for (const subject of (await response.json()) as string[]) {
      if (!subject.startsWith(`${PREFIX}.`)) continue;
      const at = `${base}/subjects/${encodeURIComponent(subject)}`;
      await fetch(at, { method: 'DELETE' });
      await fetch(`${at}?permanent=true`, { method: 'DELETE' });
    }
  }
  const redis = new Redis(redisUrl);
  try {
    await redis.del(...Array.from({ length: FACILITIES }, (_, i) => facilityKey(i)));
  } finally {
    redis.disconnect();
  }
}

/** Produces into a fresh topic, several sends in flight; returns records/s. */
async function produce(topic: string, messages: readonly Message[]): Promise<number> {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
  );
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const startMs = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PRODUCE_IN_FLIGHT }, async () => {
        while (next < messages.length) {
          const chunk = messages.slice(next, next + PRODUCE_CHUNK);
          next += PRODUCE_CHUNK;
          await producer.send({ topic, messages: chunk, acks: -1 });
        }
      }),
    );
    return messages.length / ((Date.now() - startMs) / 1000);
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------- one processor, in a child process

interface RunResult {
  readonly processor: 'validator' | 'transformer' | 'pass-through';
  readonly delivery: DeliveryMode;
  readonly eventsPerS: number;
  readonly seconds: number;
  readonly consumed: number;
  readonly forwarded: number;
  readonly deadLettered: number;
  readonly batches: number;
  readonly retries: number;
  readonly peakRssMb: number;
  /** CPU microseconds of the processor process per record. */
  readonly cpuUsPerEvent: number;
}

function runWorker(input: WorkerInput, label: string): Promise<WorkerReport> {
  const child: ChildProcess = fork(join(root, 'bench/processor-worker.ts'), [JSON.stringify(input)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [
      ...WORKER_FLAGS,
      ...(process.env.BENCH_CPU_PROF
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`,
            `--cpu-prof-name=${label}.cpuprofile`,
          ]
        : []),
    ],
  });
  return new Promise<WorkerReport>((resolve, reject) => {
    let latest: WorkerReport | undefined;
    let [lastConsumed, lastMoveMs] = [-1, Date.now()];
    let settled = false;
    const stall = setInterval(() => {
      if (Date.now() - lastMoveMs > STALL_MS)
        finish(new Error(`${label} stalled at ${lastConsumed} records`));
    }, 1000);
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(stall);
      if (child.exitCode === null && child.connected) child.send('stop');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(killer);
        if (error) reject(error);
        else resolve(latest as WorkerReport);
      });
    };
    child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'failed') return finish(new Error(`${label} failed: ${message.error}`));
      if (message.kind !== 'report' || settled) return;
      latest = message;
      if (message.consumed !== lastConsumed) [lastConsumed, lastMoveMs] = [message.consumed, Date.now()];
      const rate = message.firstBatchAtMs
        ? Math.round(message.consumed / Math.max(0.001, (message.atMs - message.firstBatchAtMs) / 1000))
        : 0;
      process.stderr.write(
        `\r${label.padEnd(28)} ${message.consumed}/${input.expected} records, ${rate}/s   `,
      );
      if (message.doneAtMs !== undefined) {
        process.stderr.write('\n');
        finish();
      }
    });
    child.once('exit', (code) => {
      if (!settled) finish(new Error(`${label} exited with ${code}`));
    });
  });
}

async function measure(
  config: ProcessorConfig,
  processor: RunResult['processor'],
  delivery: DeliveryMode,
  input: string,
  expected: number,
): Promise<RunResult> {
  const label = `${processor}-${delivery}`;
  const spec = {
    ...config,
    input,
    output: `${input}.${label}`,
    delivery,
  } as ProcessorSpec;
  const report = await runWorker(
    {
      spec,
      connections: { brokers, registryUrl: stack.SCHEMA_REGISTRY_URL, redisUrl: stack.REDIS_URL },
      groupId: `bench-processors-${run}-${label}`,
      expected,
      passThrough: processor === 'pass-through',
    },
    label,
  );
  const seconds = ((report.doneAtMs ?? report.atMs) - (report.firstBatchAtMs ?? 0)) / 1000;
  return {
    processor,
    delivery,
    eventsPerS: report.consumed / seconds,
    seconds,
    consumed: report.consumed,
    forwarded: report.forwarded,
    deadLettered: report.deadLettered,
    batches: report.batches,
    retries: report.retries,
    peakRssMb: report.peakRssMb,
    cpuUsPerEvent: ((report.cpuMs ?? Number.NaN) * 1000) / report.consumed,
  };
}

// ---------------------------------------------------------------- report

// The pass-through run is the runtime's ceiling on this machine, not a processor: not judged.
const targetOf = (r: RunResult) => (r.processor === 'pass-through' ? '' : `>= ${TARGET_EVENTS_PER_S}`);
const statusOf = (r: RunResult) =>
  r.processor === 'pass-through' ? 'ceiling' : r.eventsPerS >= TARGET_EVENTS_PER_S ? 'met' : 'NOT met';

async function main(): Promise<void> {
  const command = `${EVENTS === 200_000 ? '' : `BENCH_EVENTS=${EVENTS} `}npm run bench:processors`;
  const date = new Date().toISOString();
  // The transformer's hash salt: a fixed one unless the environment has its own.
  process.env.CDC_PII_SALT ??= 'bench-processors-salt-6f1c2a9e4b7d';
  const pipeline = await loadPipelineConfig(PIPELINE_FILE);
  const validator = findProcessor(pipeline, 'validate-patients');
  const transformer = findProcessor(pipeline, 'transform-patients');
  if (validator.kind !== 'validate' || transformer.kind !== 'transform')
    throw new Error(`unexpected processor kinds in ${PIPELINE_FILE}`);
  log(`bench:processors: ${EVENTS} records, ${PARTITIONS} partitions, run ${run}`);

  await cleanUp(stack.REDIS_URL);
  const results: RunResult[] = [];
  let production: { perS: number; valid: number; generated: Generated; transformerInput: number };
  try {
    await seedFacilities(stack.REDIS_URL);
    const generated = generate(EVENTS);
    const rules = compileRules(validator.rules);
    const valid = generated.events.filter(
      (event) => event.after === null || rules.validate(event.after).length === 0,
    );
    const codec = new RegistryCodec(stack.SCHEMA_REGISTRY_URL);
    const idsOf = async (topic: string) => ({
      key: await codec.register(`${topic}-key`, keySchema(SHAPE)),
      value: await codec.register(`${topic}-value`, envelopeSchema(SHAPE)),
    });
    const all = encode(generated.events, await idsOf(topics.input));
    const accepted = encode(valid, await idsOf(topics.valid));
    const perS = await produce(topics.input, all);
    await produce(topics.valid, accepted);
    production = { perS, valid: valid.length, generated, transformerInput: accepted.length };
    log(
      `produced ${all.length} records (${round(perS)}/s): ${generated.inserts} inserts, ${generated.updates} updates, ` +
        `${generated.deletes} deletes and their tombstones; ${generated.events.length - valid.length} invalid; ` +
        `${accepted.length} records for the transformer`,
    );

    const plan: [ProcessorConfig, RunResult['processor'], string, number][] = [
      [validator, 'validator', topics.input, all.length],
      [transformer, 'transformer', topics.valid, accepted.length],
      // The validator's runtime and input with a handler that forwards the bytes: the ceiling.
      [validator, 'pass-through', topics.input, all.length],
    ];
    for (const [config, processor, input, expected] of plan) {
      for (const delivery of ['at_least_once', 'exactly_once'] as const) {
        if (ONLY && !ONLY.includes(`${processor}:${delivery}`) && !ONLY.includes(processor)) continue;
        results.push(await measure(config, processor, delivery, input, expected));
      }
    }
  } finally {
    await cleanUp(stack.REDIS_URL).catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }

  const find = (processor: RunResult['processor'], delivery: DeliveryMode) =>
    results.find((r) => r.processor === processor && r.delivery === delivery);
  const figure = (processor: RunResult['processor'], delivery: DeliveryMode) =>
    round(find(processor, delivery)?.eventsPerS ?? Number.NaN);
  const eosShare = (processor: RunResult['processor']) =>
    figure(processor, 'exactly_once') / figure(processor, 'at_least_once');

  const table = results.map((r) => ({
    processor: r.processor,
    delivery: r.delivery,
    'events/s': round(r.eventsPerS),
    target: targetOf(r),
    status: statusOf(r),
    consumed: r.consumed,
    forwarded: r.forwarded,
    'dead letters': r.deadLettered,
    batches: r.batches,
    seconds: round(r.seconds, 2),
    'CPU µs/event': round(r.cpuUsPerEvent, 1),
    'peak RSS MB': round(r.peakRssMb, 1),
  }));
  console.table(table);
  const cost = (processor: RunResult['processor']) => {
    const share = eosShare(processor);
    const verdict = 1 - share < 1 / 3 ? 'less than a third' : 'a third or more';
    return `${processor}: exactly_once runs at ${round(share * 100)}% of at_least_once (costs ${round((1 - share) * 100)}%, ${verdict})`;
  };
  const { generated } = production;
  const notes = [
    `input: ${generated.records} records (${generated.inserts} inserts, ${generated.updates} updates, ${generated.deletes} deletes each followed by its tombstone; ${generated.events.length - production.valid} events the validator refuses), produced at ${round(production.perS)} records/s into ${PARTITIONS} partitions`,
    `transformer input: the ${production.transformerInput} records the validator accepts, in their own ${PARTITIONS}-partition topic`,
    `enrichment: ${FACILITIES} facility:<id> Redis hashes (the step's cache holds them after the first batch)`,
    cost('validator'),
    cost('transformer'),
  ];
  for (const note of notes) console.log(`  ${note}`);
  if (ONLY) {
    log(`BENCH_ONLY=${ONLY.join(',')}: partial run, nothing recorded`);
    return;
  }

  const json = {
    validator_events_per_s: figure('validator', 'at_least_once'),
    transformer_events_per_s: figure('transformer', 'at_least_once'),
    validator_eos_events_per_s: figure('validator', 'exactly_once'),
    transformer_eos_events_per_s: figure('transformer', 'exactly_once'),
    pass_through_events_per_s: figure('pass-through', 'at_least_once'),
    pass_through_eos_events_per_s: figure('pass-through', 'exactly_once'),
    target_events_per_s: TARGET_EVENTS_PER_S,
    eos_share_of_at_least_once: {
      validator: round(eosShare('validator'), 3),
      transformer: round(eosShare('transformer'), 3),
    },
    runs: results.map((r) => ({
      ...r,
      eventsPerS: round(r.eventsPerS),
      seconds: round(r.seconds, 3),
      peakRssMb: round(r.peakRssMb, 1),
      cpuUsPerEvent: round(r.cpuUsPerEvent, 1),
    })),
    machine: machine(),
    date,
    command,
    events: generated.records,
    partitions: PARTITIONS,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/processors.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeRunSection(join(root, 'BENCHMARKS.md'), {
    marker: 'processors',
    description: DESCRIPTION,
    title: `Run with ${json.events} records`,
    ...json,
    table: markdownTable(
      ['processor', 'delivery', 'events/s', 'target', 'status', 'dead letters', 'batches', 'seconds'],
      results.map((r) => [
        r.processor,
        r.delivery,
        String(round(r.eventsPerS)),
        targetOf(r),
        statusOf(r),
        String(r.deadLettered),
        String(r.batches),
        String(round(r.seconds, 2)),
      ]),
    ),
    notes,
  });
  log('wrote bench/results/processors.json and BENCHMARKS.md');
}

const DESCRIPTION = `## processors: \`npm run bench:processors\`

One instance of each patients processor of the demo pipeline (\`connectors/health-care.yaml\`:
\`validate-patients\`, \`transform-patients\` with its phone, e-mail, case and time-zone
normalisation, salted hash, computed field and Redis enrichment), alone in a child process
(\`bench/processor-worker.ts\`, \`runProcessor\` as \`cdc processor run\` calls it), on topics
\`bench.processors.*\` of 3 partitions, with a fresh consumer group and output topic per run.

- **input**: \`BENCH_EVENTS\` records encoded as the PostgreSQL source encodes them (its key and
  envelope schemas for the patients table of \`connectors/health-care.sql\`): inserts and updates
  of realistic rows (names in mixed case, French and foreign phone numbers as people write them),
  about 5% rows the validator refuses, and a few deletes with their tombstones. The transformer
  reads the records the validator accepts, produced into a topic of their own.
- **events/s**: records consumed / time from the first batch handed to the processor to the
  commit of the last record's outputs and offset (at_least_once: offsets committed after the
  outputs are acknowledged; exactly_once: outputs and offsets in one transaction per batch).
- **pass-through**: the validator's runtime on the same input with a handler that forwards each
  record's bytes untouched (no decoding, no rules): what consuming, producing, committing and the
  per-event spans cost alone, the ceiling of any processor on this machine. Not judged.

Target (issue): >= 50000 events/s per instance. Exactly-once is the pipeline's default delivery
only if it costs less than a third of the at-least-once throughput.
The latest figures are also in \`bench/results/processors.json\`.`;

await main();
