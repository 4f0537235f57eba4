import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import {
  ChangeEventWriter,
  isolate,
  patientRow,
  patientShape,
  sampleValue,
  samplesOf,
  scrapeMetrics,
  waitFor,
} from '@cdc/testkit';
import { stackTargets } from '../src/namespaces.ts';
import { runSink, sinkSchema, type SinkHandle } from '../src/service.ts';
import { TestReceiver } from '../src/webhook/test-receiver.ts';

// What a running sink says on /metrics of its health server, scraped over HTTP as Prometheus
// does: the catalog's series (core/src/metrics/catalog.ts) with the sink's labels, agreeing with
// the /status counters.

const iso = isolate('sink_metrics');
const connections = {
  brokers: kafkaBrokerList(iso.env),
  registryUrl: iso.env.SCHEMA_REGISTRY_URL,
  targets: stackTargets(iso.env),
};
const handles = new Set<SinkHandle>();
const writers = new Set<ChangeEventWriter>();

afterAll(async () => {
  for (const handle of handles) await handle.stop().catch(() => undefined);
  for (const writer of writers) await writer.close().catch(() => undefined);
});

async function topicWithWriter(label: string, partitions: number) {
  const topic = iso.topic(`cdc.public.${label}`);
  const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
  writers.add(writer);
  await writer.connect(partitions);
  return { topic, writer };
}

async function run(settings: Record<string, unknown>): Promise<SinkHandle> {
  const handle = await runSink(sinkSchema.parse(settings), connections, { healthPort: 0, path: 'sinks[0]' });
  handles.add(handle);
  return handle;
}

describe('sink /metrics', () => {
  it('exports what a Redis sink wrote, dead-lettered and lags, labelled with its stage, kind and name', async () => {
    const { topic, writer } = await topicWithWriter('patients', 2);
    const name = `${iso.id}-redis`.replaceAll('_', '-');
    await writer.write([
      { op: 'c', row: patientRow({ id: 1, mrn: 'MRN000001' }) },
      { op: 'c', row: patientRow({ id: 2, mrn: 'MRN000002' }) },
      { op: 'c', row: patientRow({ id: 3, mrn: 'MRN000003' }) },
    ]);
    await writer.writeRaw(4, Buffer.from('not avro'));
    await writer.write([{ op: 'u', row: patientRow({ id: 1, mrn: 'MRN000011' }) }]);
    const handle = await run({
      kind: 'redis',
      name,
      topics: [topic],
      key: `${iso.redisKey('patients')}:{id}`,
    });
    await waitFor('5 records consumed', async () => handle.runtime.counters.consumed >= 5, 30_000);

    const samples = await scrapeMetrics(handle.healthPort!);
    const service = { stage: 'sink', kind: 'redis', service: name };
    expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'written' })).toBe(4);
    expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'failed' })).toBe(0);
    expect(sampleValue(samples, 'cdc_events_in_total', service)).toBe(5);
    expect(sampleValue(samples, 'cdc_end_to_end_latency_seconds_count', service)).toBe(4);
    expect(sampleValue(samples, 'cdc_dead_letters_total', { ...service, topic: `${topic}.dlq` })).toBe(1);
    expect(sampleValue(samples, 'cdc_batch_size_records_count', service)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'cdc_batch_size_records_sum', service)).toBe(4);
    expect(sampleValue(samples, 'cdc_ready', service)).toBe(1);
    expect(sampleValue(samples, 'cdc_sink_circuit_breaker_state', { ...service, state: 'closed' })).toBe(1);
    expect(sampleValue(samples, 'cdc_sink_circuit_breaker_state', { ...service, state: 'open' })).toBe(0);
    // Every partition that has had a batch, caught up (0) once it is committed.
    const lag = samplesOf(samples, 'cdc_consumer_lag_records', { ...service, topic });
    expect(lag.length).toBeGreaterThanOrEqual(1);
    for (const sample of lag) expect(sample.value).toBe(0);
    // /status says the same, in its own words.
    const status = handle.status();
    expect(status.metrics.counters).toMatchObject({ written: 4, consumed: 5 });
    expect(status.metrics.lagRecords).toBe(0);
  });

  it('counts the time a webhook sink waits for its request budget', async () => {
    const receiver = new TestReceiver();
    await receiver.start();
    try {
      const { topic, writer } = await topicWithWriter('budget', 1);
      const name = `${iso.id}-webhook`.replaceAll('_', '-');
      for (let id = 1; id <= 5; id += 1) await writer.write([{ op: 'c', row: patientRow({ id }) }]);
      const handle = await run({
        kind: 'webhook',
        name,
        topics: [topic],
        url: receiver.url,
        secret: receiver.secret,
        concurrency: 1,
        batch: { max_events: 1 },
        requests: { per_second: 4, burst: 1 },
      });
      await waitFor('5 records consumed', async () => handle.runtime.counters.consumed >= 5, 30_000);
      const samples = await scrapeMetrics(handle.healthPort!);
      const service = { stage: 'sink', kind: 'webhook', service: name };
      expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'written' })).toBe(5);
      expect(sampleValue(samples, 'cdc_sink_rate_limit_wait_seconds_total', service)).toBeGreaterThan(0);
    } finally {
      await receiver.stop();
    }
  });
});
