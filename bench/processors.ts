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
//   4. The cost of tracing: each processor at_least_once again, untraced and traced to Zipkin in
//      turns (bench/tracing-phase.ts).
//
// Topics, subjects, consumer groups and Redis keys are the benchmark's own and removed at the end.
// The input is bench/patient-events.ts's; bench/processors-report.ts writes
// bench/results/processors.json and a section of BENCHMARKS.md.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Message } from 'kafkajs';
import {
  DEFAULT_SAMPLER,
  kafkaBrokerList,
  kafkaClient,
  readStackEnv,
  silenceKnownKafkajsWarnings,
} from '@cdc/core';
import { findProcessor, loadPipelineConfig, type ProcessorConfig } from '@cdc/pipeline';
import { compileRules, RegistryCodec, type DeliveryMode, type ProcessorSpec } from '@cdc/processor';
import { envelopeSchema, keySchema } from '@cdc/source-postgres';
import { intFromEnv, round, withAdmin } from './common.ts';
import {
  encode,
  FACILITIES,
  FIRST_FACILITY,
  generate,
  pick,
  SHAPE,
  withSourceHeaders,
  type Generated,
} from './patient-events.ts';
import type { WorkerInput, WorkerMessage, WorkerReport } from './processor-worker.ts';
import { reportProcessors, type ProcessorRole, type RunResult } from './processors-report.ts';
import { runTracingPhase, TRACING_EXPERIMENT, zipkinUrl, type TracingResult } from './tracing-phase.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const EVENTS = intFromEnv('BENCH_EVENTS', 200_000);
const PARTITIONS = intFromEnv('BENCH_PARTITIONS', 3);
const PIPELINE_FILE = join(root, 'connectors/health-care.yaml');
const STALL_MS = 90_000;
const PRODUCE_CHUNK = 2000; // records per send: well under the broker's batch size limit per partition
const PRODUCE_IN_FLIGHT = 4;
// BENCH_ONLY=validator:at_least_once,transformer:exactly_once runs only those (for experiments;
// validator:tracing is the validator's tracing phase): the figures are printed, not recorded.
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
  // The same records with the source's headers, for the tracing phase.
  tracedInput: `${PREFIX}.${run}.traced.cdc.public.patients`,
  tracedValid: `${PREFIX}.${run}.traced.cdc.public.patients.valid`,
};
const log = (line: string) => process.stderr.write(`${line}\n`);

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

/** `env`: the child's environment (the tracing phase sets OTEL_* there); the parent's by default. */
function runWorker(input: WorkerInput, label: string, env = process.env): Promise<WorkerReport> {
  // The input goes in the environment, not on the command line: the SDK's process detector copies
  // the command line into every span (process.command_args), and `cdc processor run`'s is short.
  const child: ChildProcess = fork(join(root, 'bench/processor-worker.ts'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...env, BENCH_WORKER_INPUT: JSON.stringify(input) },
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
  processor: ProcessorRole,
  delivery: DeliveryMode,
  input: string,
  expected: number,
  tracing?: { readonly label: string; readonly env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const label = `${processor}-${delivery}${tracing ? `-${tracing.label}` : ''}`;
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
    tracing?.env,
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

// ---------------------------------------------------------------- run

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
  const tracing: Partial<Record<'validator' | 'transformer', TracingResult>> = {};
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

    const plan: [ProcessorConfig, ProcessorRole, string, number][] = [
      [validator, 'validator', topics.input, all.length],
      [transformer, 'transformer', topics.valid, accepted.length],
      // The validator's runtime and input with a handler that forwards the bytes: the ceiling.
      [validator, 'pass-through', topics.input, all.length],
    ];
    const selected = (processor: ProcessorRole, delivery: DeliveryMode | 'tracing') =>
      !ONLY || ONLY.includes(`${processor}:${delivery}`) || ONLY.includes(processor);
    for (const [config, processor, input, expected] of plan) {
      for (const delivery of ['at_least_once', 'exactly_once'] as const) {
        if (selected(processor, delivery))
          results.push(await measure(config, processor, delivery, input, expected));
      }
    }
    // The cost of tracing, by processor: at_least_once, each mode in a fresh group and output, on
    // input records carrying the source's headers: in the pipeline every record has a traceparent,
    // which the processor forwards untraced and replaces by its span's when traced. (The records of
    // the runs above have no headers: a traced processor would add one to each output, a cost the
    // pipeline's untraced processors pay too.)
    const traced: [ProcessorConfig, 'validator' | 'transformer', string, number][] = [];
    if (selected('validator', 'tracing')) {
      await produce(topics.tracedInput, withSourceHeaders(generated.events, all, DEFAULT_SAMPLER.ratio));
      traced.push([validator, 'validator', topics.tracedInput, all.length]);
    }
    if (selected('transformer', 'tracing')) {
      await produce(topics.tracedValid, withSourceHeaders(valid, accepted, DEFAULT_SAMPLER.ratio));
      traced.push([transformer, 'transformer', topics.tracedValid, accepted.length]);
    }
    for (const [config, processor, input, expected] of traced) {
      tracing[processor] = await runTracingPhase({
        label: `${processor} at_least_once`,
        zipkinUrl: zipkinUrl(stack),
        log,
        measure: async (mode, round, env) => {
          const r = await measure(config, processor, 'at_least_once', input, expected, {
            label: `${mode}-r${round}`,
            env,
          });
          return { eventsPerS: r.eventsPerS, cpuUsPerEvent: r.cpuUsPerEvent, events: r.consumed };
        },
      });
    }
  } finally {
    await cleanUp(stack.REDIS_URL).catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }
  const record = !ONLY && !TRACING_EXPERIMENT;
  reportProcessors({ results, production, tracing, partitions: PARTITIONS, command, date }, record);
  if (ONLY) log(`BENCH_ONLY=${ONLY.join(',')}: partial run, nothing recorded`);
  if (TRACING_EXPERIMENT) log('BENCH_TRACING_ENV: an experiment, nothing recorded');
}

await main();
