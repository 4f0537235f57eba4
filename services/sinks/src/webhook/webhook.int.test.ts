import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, kafkaBrokerList } from '@cdc/core';
import {
  ChangeEventWriter,
  headerText,
  isolate,
  patientRow,
  patientShape,
  readTopic,
  startCli,
  waitFor,
} from '@cdc/testkit';
import { stackTargets } from '../namespaces.ts';
import { runSink, sinkSchema, type SinkHandle } from '../service.ts';
import { TestReceiver } from './test-receiver.ts';

// The webhook sink in its runtime, from a real topic to a real HTTP receiver that verifies every
// signature with the standardwebhooks library: outages, rate limits, refusals and redeliveries.

const iso = isolate('webhook_sink');
const connections = {
  brokers: kafkaBrokerList(iso.env),
  registryUrl: iso.env.SCHEMA_REGISTRY_URL,
  targets: stackTargets(iso.env),
};
const receivers = new Set<TestReceiver>();
const handles = new Set<SinkHandle>();

afterAll(async () => {
  await Promise.all([...handles].map((handle) => handle.stop()));
  await Promise.all([...receivers].map((receiver) => receiver.stop()));
});

async function setUp(label: string, settings: Record<string, unknown> = {}, partitions = 3) {
  const receiver = new TestReceiver();
  receivers.add(receiver);
  await receiver.start();
  const topic = iso.topic(`cdc.public.${label}`);
  const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
  await writer.connect(partitions);
  const config = sinkSchema.parse({
    kind: 'webhook',
    name: `${iso.id}-${label}`.replaceAll('_', '-'),
    topics: [topic],
    url: receiver.url,
    secret: receiver.secret,
    retry: { min_ms: 100, max_ms: 1000 },
    ...settings,
  });
  const run = async () => {
    const handle = await runSink(config, connections, { path: 'sinks[0]' });
    handles.add(handle);
    return handle;
  };
  return { receiver, topic, writer, run };
}

const idsOf = (receiver: TestReceiver) =>
  new Set(receiver.requests.filter((r) => r.status < 300).flatMap((r) => r.events.map((e) => e.id)));

describe('webhook sink', () => {
  it('waits out a receiver that is down for 30 s and then delivers everything, signed', async () => {
    const { receiver, writer, run } = await setUp('outage');
    await receiver.stop();
    const handle = await run();
    for (let id = 1; id <= 30; id += 1) await writer.write([{ op: 'c', row: patientRow({ id }) }]);
    for (let id = 1; id <= 30; id += 3)
      await writer.write([{ op: 'u', row: patientRow({ id, mrn: `M${id}` }) }]);
    const notReady = await waitFor('not ready while the receiver is down', () => handle.status().notReady);
    expect(notReady).toMatch(/connection refused|ECONNREFUSED|unreachable/i);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    expect(receiver.requests).toEqual([]);
    await receiver.start();
    await waitFor('every change delivered', () => idsOf(receiver).size === 40, 60_000);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(handle.runtime.counters).toMatchObject({ written: 40, failed: 0 });
    expect([...receiver.records.values()].filter((held) => held.row !== null)).toHaveLength(30);
    await waitFor('ready again', () => handle.status().notReady === undefined);
    await writer.close();
  }, 120_000);

  it('honours Retry-After on a 429: no request reaches the receiver earlier', async () => {
    // One request at a time (one partition, concurrency 1): none can be under way already when
    // the 429 arrives, so every later one is sent after the sink has read it.
    const { receiver, writer, run } = await setUp('rate_limited', { concurrency: 1 }, 1);
    let limitedAt: number | undefined;
    receiver.answer = (request) => {
      if (limitedAt !== undefined) return undefined;
      limitedAt = request.at;
      return { status: 429, headers: { 'retry-after': '2' }, body: '{"error":"slow down"}' };
    };
    await run();
    for (let id = 1; id <= 10; id += 1) await writer.write([{ op: 'c', row: patientRow({ id }) }]);
    await waitFor('every change delivered', () => idsOf(receiver).size === 10);
    const after = receiver.requests.filter((r) => r.at > limitedAt!);
    expect(after.length).toBeGreaterThan(0);
    // A timer may fire a millisecond early; the pause starts when the sink reads the answer, later.
    expect(Math.min(...after.map((r) => r.at)) - limitedAt!).toBeGreaterThanOrEqual(1995);
    await writer.close();
  }, 60_000);

  it('dead-letters the change a receiver refuses with 400, with its answer, and delivers the rest', async () => {
    const { receiver, topic, writer, run } = await setUp('refused');
    receiver.answer = (request) =>
      request.events.some((event) => event.data.key.id === '3')
        ? { status: 400, body: '{"error":"patient 3 has no MRN the billing system knows"}' }
        : undefined;
    const handle = await run();
    for (let id = 1; id <= 6; id += 1) await writer.write([{ op: 'c', row: patientRow({ id }) }]);
    await waitFor('the others delivered', () => idsOf(receiver).size === 5);
    const [letter] = await readTopic(iso.env, `${topic}.dlq`, 1, `${iso.id}-refused-dlq`);
    expect(headerText(letter!, DLQ_HEADERS.reason)).toContain(
      'patient 3 has no MRN the billing system knows',
    );
    expect(headerText(letter!, DLQ_HEADERS.reason)).toContain('400');
    await waitFor(
      'counted',
      () => handle.runtime.counters.failed === 1 && handle.runtime.counters.written === 5,
    );
    await writer.close();
  });

  it('redelivers a change that failed with the same webhook-id, and batches keep theirs', async () => {
    for (const batch of [1, 5]) {
      const { receiver, writer, run } = await setUp(`redelivered_${batch}`, { batch: { max_events: batch } });
      let failed = false;
      receiver.answer = () => {
        if (failed) return undefined;
        failed = true;
        return { status: 503, body: 'restarting' };
      };
      await run();
      await writer.write([1, 2, 3, 4, 5].map((id) => ({ op: 'c' as const, row: patientRow({ id }) })));
      await waitFor('delivered', () => idsOf(receiver).size === 5);
      const first = receiver.requests[0];
      const again = receiver.requests.find((r) => r !== first && r.id === first?.id);
      expect(first?.status).toBe(503);
      expect(again?.status).toBe(204);
      expect(again?.events.map((e) => e.id)).toEqual(first?.events.map((e) => e.id));
      expect(receiver.requests.every((r) => r.verified)).toBe(true);
      if (batch === 1) expect(first?.id).toBe(first?.events[0]?.id);
      else expect(first?.contentType).toContain('application/cloudevents-batch+json');
      await writer.close();
    }
  });
});

describe('a webhook secret in the pipeline file', () => {
  const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==';
  let file = '';

  beforeAll(() => {
    file = iso.pipelineFile({
      sinks: [
        {
          kind: 'webhook',
          name: 'billing',
          topics: [iso.topic('cdc.public.patients')],
          url: 'https://hook:hunter2@billing.example.org/hooks/cdc',
          secret,
        },
      ],
    });
  });

  it('is never printed: cdc config check shows it redacted', async () => {
    const check = startCli(['config', 'check', '-c', file]);
    const code = await new Promise((resolve) => check.child.once('exit', resolve));
    expect(code, check.output()).toBe(0);
    expect(check.output()).toContain('secret: "***"');
    expect(check.output()).toContain('url: https://hook:***@billing.example.org/hooks/cdc');
    expect(check.output()).not.toContain(secret.slice(6, 20));
    expect(check.output()).not.toContain('hunter2');
  });

  it('is never printed when the sink starts', async () => {
    const run = startCli(['sink', 'run', 'billing', '-c', file, '--health-port', '0']);
    await run.printed('health: http://127.0.0.1:');
    await run.stop();
    expect(run.output()).toContain('sink billing (webhook)');
    expect(run.output()).not.toContain(secret.slice(6, 20));
    expect(run.output()).not.toContain('hunter2');
  });
});
