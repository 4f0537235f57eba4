/**
 * Our source in Debezium mode beside the real Debezium Server 3.6.1, on the same tables (not CI:
 * it needs the local stack, a Java 21+ and Debezium Server's 780 MB distribution).
 *
 *   node scripts/debezium-compare.ts                   compare; exit 1 on an unexplained difference
 *   node scripts/debezium-compare.ts --write-fixture   also store Debezium's side as
 *                                                      services/source-postgres/test/debezium/debezium-server-3.6.1.json
 *   node scripts/debezium-compare.ts --keep            leave the database, slots and topics for a look
 *
 * 1. Takes io.debezium:debezium-server-dist:3.6.1.Final from ~/.m2 (Maven fetches it when it is
 *    missing) and unpacks it into .stack/debezium-server/ (git-ignored; nothing of it is committed).
 *    Debezium Server writes Avro with Confluent's AvroConverter, which its distribution ships in
 *    connectors/debezium-connector-dse/ (7.0.16): that is what a Debezium user with a Confluent
 *    registry runs (ConverterBuilder picks it for format avro without an Apicurio URL).
 * 2. Creates database dbz_cmp_<id> with the tables of test/debezium/all-types.ts and their
 *    snapshot rows, one publication, and runs Debezium Server (slot dbz_cmp_<id>_dbz, topics
 *    dbz_cmp_<id>_dbz.*) and our source in Debezium mode (slot dbz_cmp_<id>_ours, topics
 *    dbz_cmp_<id>_ours.*) side by side, each taking its snapshot, then streams the changes of
 *    all-types.ts to both.
 * 3. Compares, table by table, the key and value schemas each registered (their Avro JSON, path by path)
 *    and every record: key, value and headers, field by field
 *    (test/debezium/record-diff.ts). Differences that docs/contracts.md documents are printed as
 *    explained; any other fails the run.
 * Everything it creates (database, slots, publication, topics, subjects, Debezium's offsets) is
 * removed at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  RegistryCodec,
  kafkaBrokerList,
  kafkaClient,
  readStackEnv,
  stringHeaders,
  type AvroRecord,
} from '@cdc/core';
import { parseSourceConfig, runSource, type SourceConfig } from '../services/source-postgres/src/index.ts';
import { SnapshotReader } from '../services/source-postgres/src/snapshot/table-reader.ts';
import { findJava } from '../services/stack/src/tools.ts';
import {
  ALL_TYPES_SCHEMA,
  ALL_TYPES_TABLES,
  SNAPSHOT_ROWS,
  STREAMED_CHANGES,
} from '../services/source-postgres/test/debezium/all-types.ts';
import {
  describeDifference,
  differences,
  plain,
  schemaDifferences,
  type Difference,
  type Plain,
} from '../services/source-postgres/test/debezium/record-diff.ts';

const VERSION = '3.6.1.Final';
const ROOT = new URL('..', import.meta.url).pathname;
const DIST = join(homedir(), '.m2/repository/io/debezium/debezium-server-dist', VERSION);
const SERVER = join(ROOT, '.stack/debezium-server', VERSION, 'debezium-server');
const FIXTURE = join(ROOT, 'services/source-postgres/test/debezium/debezium-server-3.6.1.json');
// Confluent's Avro converter and what it needs, from the distribution's DSE connector folder.
const CONVERTER_JARS = [
  'avro-1.11.3.jar',
  'kafka-avro-serializer-7.0.16.jar',
  'kafka-connect-avro-converter-7.0.16.jar',
  'kafka-connect-avro-data-7.0.16.jar',
  'kafka-schema-registry-client-7.0.16.jar',
  'kafka-schema-serializer-7.0.16.jar',
  'common-utils-7.0.16.jar',
];

const args = new Set(process.argv.slice(2));
const env = readStackEnv(process.env);
const id = randomBytes(3).toString('hex');
const database = `dbz_cmp_${id}`;
const publication = `${database}_pub`;
const theirs = `${database}_dbz`;
const ours = `${database}_ours`;
const work = join(ROOT, '.stack/debezium-server', database);
const dbUrl = (db: string) => Object.assign(new URL(env.CDC_PG_URL), { pathname: `/${db}` }).toString();

function run(command: string, commandArgs: string[], cwd?: string): void {
  const result = spawnSync(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'], cwd });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status})`);
}

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Debezium Server's distribution, unpacked once. */
function debeziumServer(): string {
  if (existsSync(join(SERVER, 'lib'))) return SERVER;
  const archive = join(DIST, `debezium-server-dist-${VERSION}.tar.gz`);
  if (!existsSync(archive)) {
    console.log('fetching Debezium Server from Maven Central');
    run('mvn', [
      '-q',
      'dependency:get',
      '-Dtransitive=false',
      `-Dartifact=io.debezium:debezium-server-dist:${VERSION}:tar.gz`,
    ]);
  }
  mkdirSync(join(SERVER, '..'), { recursive: true });
  console.log('unpacking Debezium Server into .stack/debezium-server/');
  run('tar', ['xzf', archive, '-C', join(SERVER, '..')]);
  return SERVER;
}

async function startDebezium(server: string): Promise<ChildProcess> {
  const java = await findJava({ min: 21, max: Number.POSITIVE_INFINITY });
  if (!java) throw new Error('Debezium Server 3.6 needs a Java 21 or newer (set CDC_STACK_JAVA_HOME)');
  const pgUrl = new URL(env.CDC_PG_URL);
  const registry = env.SCHEMA_REGISTRY_URL;
  mkdirSync(join(work, 'config'), { recursive: true });
  const settings: Record<string, string> = {
    'debezium.sink.type': 'kafka',
    'debezium.sink.kafka.producer.bootstrap.servers': env.KAFKA_BROKERS,
    'debezium.sink.kafka.producer.key.serializer':
      'org.apache.kafka.common.serialization.ByteArraySerializer',
    'debezium.sink.kafka.producer.value.serializer':
      'org.apache.kafka.common.serialization.ByteArraySerializer',
    'debezium.source.connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'debezium.source.offset.storage.file.filename': join(work, 'offsets.dat'),
    'debezium.source.offset.flush.interval.ms': '0',
    'debezium.source.database.hostname': pgUrl.hostname,
    'debezium.source.database.port': pgUrl.port || '5432',
    'debezium.source.database.user': decodeURIComponent(pgUrl.username),
    'debezium.source.database.password': decodeURIComponent(pgUrl.password),
    'debezium.source.database.dbname': database,
    'debezium.source.topic.prefix': theirs,
    'debezium.source.plugin.name': 'pgoutput',
    'debezium.source.slot.name': theirs,
    'debezium.source.publication.name': publication,
    'debezium.source.publication.autocreate.mode': 'disabled',
    'debezium.source.table.include.list': ALL_TYPES_TABLES.map((table) => `public.${table}`).join(','),
    'debezium.format.key': 'avro',
    'debezium.format.value': 'avro',
    'debezium.format.key.schema.registry.url': registry,
    'debezium.format.value.schema.registry.url': registry,
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': '0',
    'quarkus.log.console.json': 'false',
  };
  writeFileSync(
    join(work, 'config/application.properties'),
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  );
  const classpath = [
    join(server, `debezium-server-dist-${VERSION}-runner.jar`),
    join(server, 'config/lib'),
    join(server, 'lib/*'),
    ...CONVERTER_JARS.map((jar) => join(server, 'connectors/debezium-connector-dse', jar)),
  ].join(':');
  const log = createWriteStream(join(work, 'debezium.log'));
  const child = spawn(
    java.path,
    [
      '-Xmx768m',
      '--add-opens',
      'java.base/java.lang=ALL-UNNAMED',
      '-cp',
      classpath,
      'io.debezium.server.Main',
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const text = existsSync(join(work, 'debezium.log'))
      ? readFileSync(join(work, 'debezium.log'), 'utf8')
      : '';
    if (text.includes('Starting streaming')) return child;
    if (child.exitCode !== null || text.includes('Engine has failed')) break;
    await sleep(1000);
  }
  child.kill('SIGTERM');
  throw new Error(`Debezium Server did not start streaming: see ${join(work, 'debezium.log')}`);
}

function ourConfig(): SourceConfig {
  return parseSourceConfig(
    {
      name: ours,
      envelope: 'debezium',
      database: { url: dbUrl(database) },
      tables: ALL_TYPES_TABLES.map((table) => `public.${table}`),
      publication,
      slot: ours,
      keyless: { allow: ['public.keyless', 'public.keyless_unique'] },
      // Debezium does not see our heartbeats' transactions: they would move source.sequence.
      heartbeat: { interval_ms: 0 },
      kafka: { brokers: kafkaBrokerList(env) },
      registry: { url: env.SCHEMA_REGISTRY_URL },
    },
    {},
  );
}

async function startOurs(config: SourceConfig) {
  let streaming!: () => void;
  const started = new Promise<void>((resolve) => (streaming = resolve));
  const handle = await runSource(config, {
    onEvent: (event) => {
      if (event.kind === 'streaming') streaming();
    },
  });
  await Promise.race([started, handle.done.then(() => Promise.reject(new Error('our source stopped')))]);
  return handle;
}

async function topicSizes(prefix: string): Promise<Map<string, number>> {
  const admin = kafkaClient(kafkaBrokerList(env)).admin();
  await admin.connect();
  try {
    const sizes = new Map<string, number>();
    for (const table of ALL_TYPES_TABLES) {
      const topic = `${prefix}.public.${table}`;
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      sizes.set(
        table,
        offsets.reduce((sum, partition) => sum + Number(partition.high), 0),
      );
    }
    return sizes;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until both sides hold as many records per table, and no more arrive for a while. */
async function settle(): Promise<Map<string, number>> {
  let last = '';
  let stableSince = Date.now();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [a, b] = await Promise.all([topicSizes(theirs), topicSizes(ours)]);
    const now = JSON.stringify([...a, ...b]);
    if (now !== last) [last, stableSince] = [now, Date.now()];
    const same = [...a].every(([table, size]) => size > 0 && b.get(table) === size);
    if (same && Date.now() - stableSince > 5000) return a;
    if (Date.now() > deadline) {
      console.log(
        `record counts never settled: Debezium ${JSON.stringify([...a])}, ours ${JSON.stringify([...b])}`,
      );
      return a;
    }
    await sleep(1000);
  }
}

interface CapturedRecord {
  readonly key: Plain;
  readonly value: Plain;
  readonly headers: Record<string, Plain>;
}

/** Every record of a topic, decoded with the registry's schemas, as Plain. */
async function capture(prefix: string, table: string): Promise<CapturedRecord[]> {
  const topic = `${prefix}.public.${table}`;
  const codec = new RegistryCodec(env.SCHEMA_REGISTRY_URL);
  const kafka = kafkaClient(kafkaBrokerList(env));
  const admin = kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${prefix}-compare` });
  const out: CapturedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const encoded = [message.key, message.value].filter(
              (b): b is Buffer => b !== null && b.length > 0,
            );
            await codec.load(encoded.map((bytes) => RegistryCodec.schemaIdOf(bytes)));
            const decode = (bytes: Buffer | null) =>
              bytes === null ? null : plain(codec.decode(bytes).value, prefix);
            const headers = Object.fromEntries(
              Object.entries(stringHeaders(message.headers)).map(([name, value]) => [
                name,
                plain(value, prefix),
              ]),
            );
            out.push({ key: decode(message.key), value: decode(message.value), headers });
            if (out.length >= end) resolve();
          },
        })
        .catch(reject);
      if (end === 0) resolve();
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function latestSchema(subject: string): Promise<AvroRecord | null> {
  const response = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions/latest`);
  if (response.status === 404) return null;
  return JSON.parse(((await response.json()) as { schema: string }).schema) as AvroRecord;
}

/** Our shape of each table, as the snapshot reads it: the fixture's input side. */
async function shapesOf(config: SourceConfig) {
  const reader = await SnapshotReader.open(dbUrl(database), undefined, config);
  try {
    const shapes: Record<string, unknown> = {};
    for (const table of ALL_TYPES_TABLES)
      shapes[table] = plain((await reader.table('public', table)).shape, ours);
    return shapes;
  } finally {
    await reader.close();
  }
}

/** The rows of all_types as PostgreSQL's text, the way the source reads them (by id). */
async function rowTexts(config: SourceConfig): Promise<Record<string, (string | null)[]>> {
  const reader = await SnapshotReader.open(dbUrl(database), undefined, config);
  try {
    const table = await reader.table('public', 'all_types');
    const rows: Record<string, (string | null)[]> = {};
    for await (const chunk of reader.rows(table, 1000)) for (const row of chunk) rows[row[0]!] = row;
    return rows;
  } finally {
    await reader.close();
  }
}

async function cleanUp(debezium: ChildProcess | undefined, stopOurs: (() => Promise<void>) | undefined) {
  await stopOurs?.().catch(() => undefined);
  if (debezium && debezium.exitCode === null) {
    debezium.kill('SIGTERM');
    await new Promise((resolve) => debezium.once('exit', resolve));
  }
  if (args.has('--keep')) return console.log(`kept: database ${database}, topics ${theirs}.*, ${ours}.*`);
  await sql(env.CDC_PG_URL, `drop database if exists ${database} with (force)`).catch((error: unknown) =>
    console.error(`dropping ${database} failed: ${String(error)}`),
  );
  for (const slot of [theirs, ours]) {
    await sql(
      env.CDC_PG_URL,
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '${slot}'`,
    ).catch(() => undefined);
  }
  const admin = kafkaClient(kafkaBrokerList(env)).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${database}_`));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(database));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  const subjects = ((await (await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[]).filter(
    (s) => s.startsWith(`${database}_`),
  );
  for (const subject of subjects) {
    for (const permanent of ['false', 'true']) {
      await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${subject}?permanent=${permanent}`, {
        method: 'DELETE',
      });
    }
  }
  run('rm', ['-rf', work]);
}

async function main(): Promise<number> {
  const server = debeziumServer();
  mkdirSync(work, { recursive: true });
  let debezium: ChildProcess | undefined;
  let stopOurs: (() => Promise<void>) | undefined;
  try {
    await sql(env.CDC_PG_URL, `create database ${database}`);
    await sql(dbUrl(database), ALL_TYPES_SCHEMA + SNAPSHOT_ROWS);
    await sql(dbUrl(database), `create publication ${publication} for table ${ALL_TYPES_TABLES.join(', ')}`);
    console.log(`database ${database}: starting Debezium Server ${VERSION} and our source`);
    debezium = await startDebezium(server);
    const config = ourConfig();
    const handle = await startOurs(config);
    stopOurs = () => handle.stop();
    const shapes = await shapesOf(config);
    // The typed rows' text is read right after their insert, before the changes that follow it.
    const [insert, ...others] = STREAMED_CHANGES;
    await sql(dbUrl(database), insert!);
    const rows = await rowTexts(config);
    for (const change of others) await sql(dbUrl(database), change);
    const counts = await settle();
    console.log(`records per table: ${JSON.stringify(Object.fromEntries(counts))}`);

    const found: string[] = [];
    const fixture: Record<string, unknown> = {};
    for (const table of ALL_TYPES_TABLES) {
      const schemas = { theirs: {} as Record<string, unknown>, ours: {} as Record<string, unknown> };
      for (const side of ['key', 'value'] as const) {
        const [a, b] = await Promise.all([
          latestSchema(`${theirs}.public.${table}-${side}`),
          latestSchema(`${ours}.public.${table}-${side}`),
        ]);
        schemas.theirs[side] = plain(a, theirs);
        for (const line of schemaDifferences(plain(a, theirs), plain(b, ours)))
          found.push(`${table} ${side} schema ${line}`);
      }
      const [a, b] = await Promise.all([capture(theirs, table), capture(ours, table)]);
      if (a.length !== b.length) found.push(`${table}: Debezium wrote ${a.length} records, ours ${b.length}`);
      a.forEach((record, index) => {
        const other = b[index];
        const snapshot = (record.value as { op?: string } | null)?.op === 'r';
        const diffs: Difference[] = differences('', record as unknown as Plain, other as unknown as Plain, {
          snapshot,
        });
        for (const d of diffs) found.push(describeDifference(`${table}[${index}]`, d));
      });
      fixture[table] = { shape: shapes[table], schemas: schemas.theirs, records: a };
    }
    for (const line of found) console.log(line);
    const faults = found.filter((line) => !line.includes('(explained:'));
    console.log(`${found.length} differences, ${faults.length} unexplained`);
    if (args.has('--write-fixture')) {
      writeFileSync(
        FIXTURE,
        JSON.stringify(
          {
            about:
              `Captured by scripts/debezium-compare.ts --write-fixture on ${new Date().toISOString().slice(0, 10)}: ` +
              `Debezium Server ${VERSION} (PostgreSQL connector, pgoutput, default settings; Confluent AvroConverter ` +
              "7.0.16 against the local stack's registry) on the tables and changes of all-types.ts, the topic " +
              'prefix written <prefix>. Per table: our shape (the input of debezium-server-fixture.test.ts), the ' +
              "key and value schemas Debezium registered, every record it wrote (decoded, record-diff.ts's plain " +
              'form); rows: the text of the all_types rows as the source reads them.',
            tables: fixture,
            rows,
          },
          null,
          1,
        ) + '\n',
      );
      console.log(`wrote ${FIXTURE}`);
    }
    return faults.length === 0 ? 0 : 1;
  } finally {
    await cleanUp(debezium, stopOurs);
  }
}

process.exitCode = await main();
