import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryCodec, type ChangeEnvelope } from '@cdc/core';
import { Stack, killServer } from '@cdc/stack';
import {
  ChangeEventWriter,
  decodeAll,
  isolate,
  readTopic,
  patientRow,
  patientShape,
  startCli,
  topicSize,
  waitFor,
  type CliProcess,
} from '@cdc/testkit';

// The broker is killed with kill -9 under a steady stream of events and started again 10 s later.
// An exactly-once validator and a Redis sink, each its own `cdc run` process, must stay up (same
// pids), say on /ready that Kafka is away and then that it is back, and lose and double nothing:
// the validator's output (read_committed) holds every input event exactly once, and Redis every row.

const iso = isolate('broker_kill');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.valid');
const validator = `${iso.id}-validate`;
const sinkName = `${iso.id}-redis`;
const prefix = iso.redisKey('patients');
const configFile = iso.pipelineFile({
  processors: [
    {
      name: validator,
      kind: 'validate',
      input,
      output,
      delivery: 'exactly_once',
      rules: [{ field: 'mrn', required: true }],
    },
  ],
  sinks: [{ name: sinkName, kind: 'redis', topics: [output], key: `${prefix}:{id}` }],
});
const stack = new Stack();
const redis = new Redis(iso.env.REDIS_URL);
const children = new Set<CliProcess>();
const OUTAGE_MS = 10_000;

afterAll(async () => {
  await Promise.all([...children].map((child) => child.killHard()));
  await stack.up({ renderer: 'silent' }); // whatever happened, leave the stack whole for later files
  redis.disconnect();
}, 300_000);

function start(name: string): { process: CliProcess; port: Promise<string> } {
  const process = startCli(['run', name, '-c', configFile, '--health-port', '0']);
  children.add(process);
  const port = process
    .printed('health: http://127.0.0.1:')
    .then(() => /health: http:\/\/127\.0\.0\.1:(\d+)\//.exec(process.output())?.[1] ?? '');
  return { process, port };
}

async function ready(port: string): Promise<{ status: number; reason: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/ready`);
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, reason: body.reason ?? '' };
}

/** Waits for every record, then a while longer: anything beyond would be a duplicate. */
const FULL_READ = { lingerMs: 3000, timeoutMs: 120_000 };

const versionOf = (envelope: ChangeEnvelope | null) =>
  `${String(envelope?.after?.id)}@${String(envelope?.source.commit_lsn)}`;

describe('a broker killed with -9 under load', () => {
  it('is waited out by an exactly-once processor and a sink: same pids, nothing lost, nothing doubled', async () => {
    const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
    await writer.connect(3);
    // A steady stream: one transaction of 10 rows every 50 ms, 300 ids updated over and over. A
    // write that fails while the broker is away is tried again (as new events: a new version).
    let stopLoad = false;
    let writes = 0;
    const load = (async () => {
      for (let n = 0; !stopLoad; n += 1) {
        const rows = Array.from({ length: 10 }, (_, i) => {
          const id = ((n * 10 + i) % 300) + 1;
          return { op: 'u' as const, row: patientRow({ id, mrn: `MRN${n}` }) };
        });
        for (;;) {
          try {
            await writer.write(rows);
            writes += 1;
            break;
          } catch {
            await sleep(500);
          }
        }
        await sleep(50);
      }
    })();

    const processor = start(validator);
    const sink = start(sinkName);
    const [processorPort, sinkPort] = await Promise.all([processor.port, sink.port]);
    await Promise.all([processor.process.printed('consuming ('), sink.process.printed('consuming')]);
    await waitFor('the sink writes', async () => (await redis.exists(`${prefix}:1`)) === 1, 60_000);
    const pids = [processor.process.child.pid, sink.process.child.pid];
    const before = writes;

    const killedAt = Date.now();
    await killServer(stack, 'kafka');
    const away = await Promise.all(
      [processorPort, sinkPort].map((port) =>
        waitFor('/ready 503 while Kafka is away', async () => {
          const answer = await ready(port);
          return answer.status === 503 ? { ...answer, afterMs: Date.now() - killedAt } : undefined;
        }),
      ),
    );
    for (const { reason } of away)
      expect(reason).toMatch(/Kafka \(kafka\.brokers, or KAFKA_BROKERS\) at 127\.0\.0\.1:\d+/);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - killedAt)));
    const restartedAt = Date.now();
    await stack.up({ renderer: 'silent' });
    const healthyAt = Date.now();
    const back = await Promise.all(
      [processorPort, sinkPort].map((port) =>
        waitFor(
          '/ready 200 once Kafka is back',
          async () => ((await ready(port)).status === 200 ? Date.now() - healthyAt : undefined),
          120_000,
        ),
      ),
    );
    console.log(
      `broker killed; /ready 503 after ${away.map((a) => a.afterMs).join(' / ')} ms (processor / sink); ` +
        `broker up ${((healthyAt - restartedAt) / 1000).toFixed(1)} s after its restart; ` +
        `/ready 200 ${back.join(' / ')} ms after that`,
    );
    await waitFor('the load resumes', () => writes > before + 20, 60_000);
    stopLoad = true;
    await load;
    await writer.close();

    // Every input event exactly once in the output (read_committed), and every row in Redis.
    const inputs = await readTopic(
      iso.env,
      input,
      await topicSize(iso.env, input),
      `${iso.id}-in`,
      FULL_READ,
    );
    const outputs = await readTopic(iso.env, output, inputs.length, `${iso.id}-out`, FULL_READ);
    const codec = new RegistryCodec(iso.env.SCHEMA_REGISTRY_URL);
    const expected = (await decodeAll(codec, inputs)).map(versionOf).sort();
    const actual = (await decodeAll(codec, outputs)).map(versionOf).sort();
    expect(new Set(expected).size).toBe(expected.length); // each write made events of its own
    expect(actual).toEqual(expected);
    const last = new Map<string, string>();
    for (const envelope of await decodeAll(codec, inputs))
      last.set(String(envelope?.after?.id), String(envelope?.after?.mrn));
    await waitFor(
      'Redis holds the last version of every row',
      async () => {
        for (const [id, mrn] of last)
          if ((await redis.hget(`${prefix}:${id}`, 'mrn')) !== mrn) return undefined;
        return true;
      },
      120_000,
    );

    expect([processor.process.child.pid, sink.process.child.pid]).toEqual(pids);
    expect(processor.process.child.exitCode).toBeNull();
    expect(sink.process.child.exitCode).toBeNull();
    expect(processor.process.output()).toMatch(
      /Kafka \(kafka\.brokers, or KAFKA_BROKERS\) at .* \(attempt \d+\)/,
    );
    expect(processor.process.output()).toContain('Kafka answers (waited');
    expect(sink.process.output()).toContain('Kafka answers (waited');
    // The registry keeps its schemas in Kafka: it must answer again for the files after this one.
    expect((await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects`)).status).toBe(200);
    expect(await processor.process.stop()).toBe(0);
    expect(await sink.process.stop()).toBe(0);
  }, 300_000);
});
