import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { isVerifiable, kafkaClient, readStackEnv, verifyRows, type VerifyReport } from '@cdc/core';
import { connectionsOf, type PipelineConfig } from '@cdc/pipeline';
import { runProcessor, type ProcessorHandle } from '@cdc/processor';
import {
  cleanSinkNamespaces,
  createSink,
  fhirNamespaceSource,
  runSink,
  sinkKind,
  stackTargets,
  type SinkHandle,
} from '@cdc/sinks';
import { readTableRows, runSource, type SourceHandle } from '@cdc/source-postgres';
import { dropNamespace } from '@cdc/stack/namespace';
import { tableOfTopic } from '../sink-verify.ts';
import { runDemoLoad } from './demo-load.ts';
import { DEMO, DEMO_PIPELINE_FILE, demoPipeline } from './demo-pipeline.ts';
import { saasPlaces } from './demo-saas.ts';
import { releaseDemoSlot } from './demo-slot.ts';

const PIPELINE = 'connectors/health-care.yaml';
const SCHEMA = 'connectors/health-care.sql';

export interface DemoOptions {
  readonly changes: number;
  /** How long to wait for every sink to hold what the tables hold. */
  readonly settleSeconds: number;
  /** Keep the replication slot (and publication) when the demo ends; default: drop them. */
  readonly keepSlot?: boolean;
}

/**
 * `npm run demo`: the whole pipeline on the local stack, on the health-care schema. Starts from
 * a clean namespace, runs the source, every processor and every sink of the demo pipeline in this
 * process, writes a stream of realistic changes, waits until the sinks hold what the tables hold,
 * and prints where the data landed. Exit code 1 when verify finds any difference. Its replication
 * slot is dropped when it ends (Ctrl-C included) unless `keepSlot`: left behind, it would keep WAL.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const env = readStackEnv();
  process.env.CDC_PII_SALT ??= randomBytes(24).toString('hex'); // the demo's masking salt, this run only
  // Each service's health server registers its /metrics with the stack's Prometheus while it runs.
  process.env.CDC_METRICS_TARGETS_DIR ??= env.CDC_METRICS_TARGETS_DIR;
  console.log(`\n1. A clean namespace '${DEMO}' (database, topics, consumer groups, keys)`);
  await Promise.all([dropNamespace(env, DEMO), cleanSinkNamespaces(stackTargets(env), DEMO)]);
  const config = await demoPipeline(PIPELINE, env);
  const url = config.source!.database.url;
  await createSchema(env.CDC_PG_URL, url);
  await createTableTopics(config);

  console.log('2. Starting the source, the processors and the sinks');
  const connections = connectionsOf(config);
  const source: SourceHandle = await runSource(config.source!, { healthPort: 0 });
  const processors: ProcessorHandle[] = [];
  const sinks: SinkHandle[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.allSettled(sinks.map((s) => s.stop()));
      await Promise.allSettled(processors.map((p) => p.stop()));
      await source.stop();
      console.log(`\n${await releaseDemoSlot(config.source!, options.keepSlot ?? false)}`);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(
        `${signal} again: exiting without waiting (the slot ${config.source!.slot} may stay behind)`,
      );
      process.exit(1);
    }
    console.log(`\n${signal}: stopping the demo`);
    void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const spec of config.processors)
      processors.push(await runProcessor(spec, connections, { healthPort: 0 }));
    for (const sink of config.sinks) sinks.push(await runSink(sink, connections, { healthPort: 0 }));
    console.log(
      `   source '${DEMO}' (${(config.source!.tables as string[]).length} tables), ${processors.length} processors, ${sinks.length} sinks`,
    );
    console.log(
      `   their metrics, while the demo runs: ${env.PROMETHEUS_URL}/graph?g0.expr=${encodeURIComponent('sum by (stage, service) (rate(cdc_events_out_total[1m]))')}`,
    );

    console.log(`3. Writing ${options.changes} changes to the health-care tables`);
    const bar = new cliProgress.SingleBar(
      {
        format: '   {bar} {value}/{total} changes',
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 2000,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.changes, 0);
    const load = await runDemoLoad(url, { changes: options.changes, onProgress: (done) => bar.update(done) });
    bar.update(load.changes);
    bar.stop();
    console.log(
      `   ${load.changes} changes written, ${load.invalid} of them with mistakes for the validators`,
    );

    console.log('4. Waiting until every sink holds what the tables hold');
    const verified = await settle(config, sinks, options.settleSeconds);
    return printSummary(config, processors, sinks, verified);
  } finally {
    await stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function createSchema(adminUrl: string, url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${DEMO}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(await readFile(SCHEMA, 'utf8'));
  } finally {
    await client.end();
  }
}

/**
 * The source creates a table's topic with its first change, and processors wait for their input
 * topic: created up front, everything can start before the first change is written.
 */
async function createTableTopics(config: PipelineConfig): Promise<void> {
  const admin = kafkaClient(config.kafka.brokers).admin();
  await admin.connect();
  try {
    const tables = config.source!.tables === 'all' ? [] : config.source!.tables;
    await admin.createTopics({
      topics: tables.map((table) => ({ topic: `${DEMO}.${table}` })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

interface Verified {
  readonly sink: string;
  readonly table: string;
  readonly report: VerifyReport;
}

/** Verifies every sink that reads a table's own topic, again until clean or out of time. */
async function settle(
  config: PipelineConfig,
  sinks: readonly SinkHandle[],
  seconds: number,
): Promise<Verified[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const idle = sinks.every((s) => s.runtime.metrics().lagRecords === 0);
    const verified = idle ? await verifyAll(config) : [];
    const clean = idle && verified.every((v) => v.report.differences === 0);
    if (clean || Date.now() > deadline) return idle ? verified : await verifyAll(config);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function verifyAll(config: PipelineConfig): Promise<Verified[]> {
  const results: Verified[] = [];
  for (const sinkConfig of config.sinks) {
    let tables: Array<{ schema: string; name: string }>;
    try {
      tables = sinkConfig.topics.map((topic) => tableOfTopic(config, topic));
    } catch {
      continue; // a sink of processed topics: its rows are not the table's
    }
    if (!sinkKind(sinkConfig.kind).verifiable) continue;
    const sink = createSink(sinkConfig, connectionsOf(config));
    if (!isVerifiable(sink)) continue;
    await sink.start();
    try {
      for (const table of tables) {
        const rows = readTableRows(config.source!, table.schema, table.name);
        results.push({
          sink: sinkConfig.name,
          table: `${table.schema}.${table.name}`,
          report: await verifyRows(rows, sink, table),
        });
      }
    } finally {
      await sink.close();
    }
  }
  return results;
}

function printSummary(
  config: PipelineConfig,
  processors: readonly ProcessorHandle[],
  sinks: readonly SinkHandle[],
  verified: readonly Verified[],
): number {
  console.log('\nWhere the data landed');
  for (const sink of sinks) {
    const { name, kind, topics, metrics } = sink.status();
    const c = metrics.counters;
    console.log(
      `  ${name.padEnd(24)} ${kind.padEnd(15)} ${String(c.written).padStart(6)} written, ${c.stale} stale, ${c.failed} dead-lettered, ${c.conflicts} conflicts  <- ${topics.join(', ')}`,
    );
  }
  console.log(
    '\nDead letters (records the validators refused, with their reasons: npm run cdc -- dlq list <topic>)',
  );
  for (const processor of processors) {
    const { name, input, counters } = processor.status();
    console.log(
      `  ${name.padEnd(28)} ${String(counters.deadLettered).padStart(5)} of ${counters.consumed}  -> ${input}.dlq`,
    );
  }
  console.log('\nVerify (source table vs sink: counts and per-row hashes)');
  for (const { sink, table, report } of verified) {
    console.log(
      `  ${sink.padEnd(24)} ${table.padEnd(28)} ${report.sourceRows} rows, ${report.sinkRows} in the sink: ${report.differences === 0 ? 'no differences' : `${report.differences} DIFFERENCES`}`,
    );
    for (const key of report.missing) console.log(`    missing in the sink: ${key}`);
    for (const key of report.extra) console.log(`    only in the sink:    ${key}`);
    for (const { key, fields } of report.different)
      console.log(`    different:           ${key} (${fields.join(', ')})`);
  }
  const differences = verified.reduce((sum, v) => sum + v.report.differences, 0);
  const mongo = config.sinks.find((s) => s.kind === 'mongodb');
  const fhir = config.sinks.find((s) => s.kind === 'fhir');
  console.log(
    `\nLook around: redis-cli -p ${new URL(config.redis.url).port} hgetall ${DEMO}:facility:1` +
      (mongo ? `; MongoDB database '${DEMO}' at ${config.mongo.url}` : '') +
      (fhir ? `; FHIR resources at ${config.fhir.url}/Patient?_source=${fhirNamespaceSource(DEMO)}` : '') +
      `; Kafka topics ${DEMO}.public.*`,
  );
  for (const line of saasPlaces(config)) console.log(`  ${line}`);
  console.log(
    `Where is a row? npm run cdc -- trace public.patients <id> -c ${DEMO_PIPELINE_FILE} (each hop, the version and what happened)`,
  );
  if (differences > 0 || verified.length === 0) {
    console.log(
      verified.length === 0
        ? '\ndemo: nothing was verified'
        : `\ndemo: verify found ${differences} differences`,
    );
    return 1;
  }
  console.log('\ndemo: every verified sink holds exactly what the tables hold');
  return 0;
}
