import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryCodec, type ChangeEnvelope } from '@cdc/core';
import { Stack, crashPostgres, killServer } from '@cdc/stack';
import {
  SteadyWriter,
  decodeAll,
  historyOf,
  isolate,
  readTopic,
  providerName,
  startCli,
  topicSize,
  waitFor,
  type CliProcess,
} from '@cdc/testkit';

// The whole pipeline through server crashes, each service its own `cdc run` process as in
// production: the source, an exactly-once validator reading its topic, and a Redis sink on the
// same topic, under a steady write load. PostgreSQL is crashed (pg_ctl stop -m immediate, then
// started again: a `restart -m immediate` held long enough to watch) and then the Kafka broker
// is killed with -9 and started again. Every service must stay up (same pids), answer /ready 503
// while a server it uses is away and 200 once it is back, and at the end nothing is lost or
// doubled: Kafka holds every committed change per key in commit order, the validator's output
// (read_committed) holds every input record exactly once, and `cdc sink verify` is clean.
//
// It crashes the servers of the stack it runs against, so it runs only on the local stack, and
// no other test file runs meanwhile (vitest runs int files one at a time).

const iso = isolate('pipeline_faults');
const stack = new Stack();
const topic = `${iso.id}.public.items`;
const output = `${topic}.valid`;
const validator = `${iso.id}-validate`;
const sinkName = `${iso.id}-redis`;
const children: CliProcess[] = [];
let url = '';
let file = '';

beforeAll(async () => {
  url = await iso.postgresUrl();
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query('create table items (id int primary key, v int not null)');
  await sql.end();
  file = iso.pipelineFile({
    source: {
      name: iso.id,
      tables: ['public.items'],
      database: { url },
      kafka: { brokers: iso.env.KAFKA_BROKERS },
      registry: { url: iso.env.SCHEMA_REGISTRY_URL },
      heartbeat: { interval_ms: 500 },
    },
    processors: [
      {
        name: validator,
        kind: 'validate',
        input: topic,
        output,
        delivery: 'exactly_once',
        rules: [{ field: 'v', required: true }],
      },
    ],
    sinks: [{ name: sinkName, kind: 'redis', topics: [topic], key: `${iso.redisKey('item')}:{id}` }],
  });
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.killHard()));
  // Whatever happened, leave every server healthy for the files after this one; the registry
  // keeps its schemas in Kafka, so it must answer again after the broker's restart.
  await stack.up({ renderer: 'silent' });
  expect((await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects`)).status).toBe(200);
}, 300_000);

interface Service {
  readonly name: string;
  readonly process: CliProcess;
  readonly port: number;
}

async function start(name: string): Promise<Service> {
  const process = startCli(['run', name, '-c', file, '--health-port', '0']);
  children.push(process);
  await printed(process, name, 'health: http://127.0.0.1:');
  const port = Number(/health: http:\/\/127\.0\.0\.1:(\d+)/u.exec(process.output())?.[1]);
  return { name, process, port };
}

/** Resolves once `process` printed `text`; fails with what it printed when it does not in 90 s. */
async function printed(process: CliProcess, name: string, text: string): Promise<void> {
  const timer = new AbortController();
  const timeout = sleep(90_000, undefined, { signal: timer.signal }).then(() => {
    throw new Error(`${name} did not print "${text}" within 90 s:\n${process.output()}`);
  });
  try {
    await Promise.race([process.printed(text), timeout]);
  } finally {
    timer.abort();
    timeout.catch(() => undefined);
  }
}

async function ready(service: Service): Promise<{ code: number; reason: string } | undefined> {
  if (service.process.child.exitCode !== null) {
    throw new Error(`${service.name} exited:\n${service.process.output()}`);
  }
  try {
    const response = await fetch(`http://127.0.0.1:${service.port}/ready`);
    const body = (await response.json()) as { reason?: string };
    return { code: response.status, reason: body.reason ?? '' };
  } catch {
    return undefined;
  }
}

/** Waits until each service answers /ready 503 with a reason matching `away`. */
async function notReady(services: readonly Service[], away: RegExp): Promise<void> {
  await Promise.all(
    services.map((service) =>
      waitFor(
        `${service.name}: /ready 503 naming ${away}`,
        async () => {
          const answer = await ready(service);
          return answer?.code === 503 && away.test(answer.reason) ? true : undefined;
        },
        60_000,
      ),
    ),
  );
}

async function allReady(services: readonly Service[]): Promise<void> {
  await Promise.all(
    services.map((service) =>
      waitFor(
        `${service.name}: /ready 200 again`,
        async () => ((await ready(service))?.code === 200 ? true : undefined),
        120_000,
      ),
    ),
  );
}

const startedAt = Date.now();
/** A line per step, so that a slow or stuck step shows in the output. */
const step = (what: string) =>
  console.log(`pipeline faults +${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${what}`);

/** Waits for every record, then a while longer: anything beyond would be a duplicate. */
const FULL_READ = { lingerMs: 3000, timeoutMs: 120_000 };

const versionOf = (envelope: ChangeEnvelope | null) =>
  `${String(envelope?.source.commit_lsn)}/${String(envelope?.source.seq)}`;

async function verify(): Promise<{ code: number | null; output: string }> {
  const run = startCli(['sink', 'verify', sinkName, '-c', file]);
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  return { code, output: run.output() };
}

describe.runIf(providerName(process.env.CDC_TEST_PROVIDER) === 'local')(
  'the pipeline through a PostgreSQL crash and a broker kill -9',
  () => {
    it('keeps source, exactly-once processor and sink up, not ready while a server is away, and loses and doubles nothing', async () => {
      const source = await start('source');
      await printed(source.process, 'source', 'streaming started');
      // Started before their topic exists (the source creates it with the first change): they
      // wait for it, then consume.
      const processor = await start(validator);
      const sink = await start(sinkName);
      const services = [source, processor, sink];
      const pids = services.map((service) => service.process.child.pid);
      const writer = new SteadyWriter(url);
      try {
        writer.start();
        await printed(processor.process, validator, 'consuming (');
        await printed(sink.process, sinkName, 'consuming');
        step('services up and consuming');
        await sleep(3000);

        step('crashing PostgreSQL');
        await crashPostgres(stack);
        await notReady([source], /^PostgreSQL \(source\.database\.url/u);
        step('source not ready; starting PostgreSQL');
        await stack.up({ renderer: 'silent' });
        await allReady(services);
        step('all ready again');
        // Past the source's 10 s of probation after a reconnect, so the next outage is a new one.
        await sleep(12_000);

        step('killing the broker');
        await killServer(stack, 'kafka');
        await notReady(services, /Kafka \((source\.)?kafka\.brokers, or KAFKA_BROKERS\)/u);
        step('all three not ready');
        await sleep(5000); // the broker stays away a while: the services wait, they do not exit
        await stack.up({ renderer: 'silent' });
        await allReady(services);
        step('all ready again');
        await sleep(3000);
        const transactions = await writer.stop();

        step(`writer stopped after ${transactions} transactions; verifying`);
        let last = { code: null as number | null, output: '' };
        for (const deadline = Date.now() + 180_000; Date.now() < deadline;) {
          last = await verify();
          if (last.code === 0) break;
          await sleep(3000);
        }
        expect(last.output).toContain('verify: no differences');
        expect(last.code, last.output).toBe(0);

        step('verify clean; reading the topics');
        const codec = new RegistryCodec(iso.env.SCHEMA_REGISTRY_URL);
        const inputs = await readTopic(
          iso.env,
          topic,
          await topicSize(iso.env, topic),
          `${iso.id}-in`,
          FULL_READ,
        );
        const decodedInputs = await decodeAll(codec, inputs); // loads their schemas too
        const history = await historyOf(inputs, async (value) => codec.decode(value).value);
        expect(history.wentBack).toEqual([]);
        expect(history.values).toEqual(writer.committed);
        // Exactly once from the validator: each input record (duplicates of the source included,
        // which are the same versions sent again) once in its output, none more.
        const outputs = await readTopic(iso.env, output, inputs.length, `${iso.id}-out`, FULL_READ);
        const expected = decodedInputs.map(versionOf).sort();
        const actual = (await decodeAll(codec, outputs)).map(versionOf).sort();
        expect(actual).toEqual(expected);

        expect(services.map((service) => service.process.child.pid)).toEqual(pids);
        expect(source.process.output()).toMatch(/streaming resumed after[\s\S]*streaming resumed after/u);
        for (const service of [processor, sink])
          expect(service.process.output()).toContain('Kafka answers (waited');
        console.log(
          `pipeline faults: ${transactions} transactions (${writer.interrupted} interrupted), ` +
            `${inputs.length} records, ${history.duplicates} duplicates from the source`,
        );
        for (const service of services) expect(await service.process.stop()).toBe(0);
      } finally {
        await writer.stop();
      }
    }, 420_000);
  },
);
