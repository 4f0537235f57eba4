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
import { runProcessor, type ProcessorHandle } from '../src/index.ts';

// What a running processor says on /metrics of its health server, scraped over HTTP: the
// catalog's processor series (core/src/metrics/catalog.ts) with its labels.

const iso = isolate('processor_metrics');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.valid');
const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
let processor: ProcessorHandle | undefined;

afterAll(async () => {
  await processor?.stop();
  await writer.close();
});

describe('processor /metrics', () => {
  it('exports events in and out by outcome, dead letters, batches and lag, labelled with its stage, kind and name', async () => {
    await writer.connect(2);
    await writer.write([
      { op: 'c', row: patientRow({ id: 1, mrn: 'MRN000001' }) },
      { op: 'c', row: patientRow({ id: 2, mrn: null }) }, // dead-lettered: mrn is required
      { op: 'u', row: patientRow({ id: 1, mrn: 'MRN000011' }) },
    ]);
    await writer.writeRaw(3, Buffer.from('not avro')); // dead-lettered: poison
    const name = `${iso.id}-validate`;
    processor = await runProcessor(
      {
        name,
        kind: 'validate',
        input,
        output,
        delivery: 'exactly_once',
        rules: [{ field: 'mrn', required: true }],
      },
      {
        brokers: kafkaBrokerList(iso.env),
        registryUrl: iso.env.SCHEMA_REGISTRY_URL,
        redisUrl: iso.env.REDIS_URL,
      },
      { healthPort: 0 },
    );
    const handle = processor;
    await waitFor('4 records consumed', async () => handle.runtime.counters.consumed >= 4, 30_000);

    const samples = await scrapeMetrics(handle.healthPort!);
    const service = { stage: 'processor', kind: 'validator', service: name };
    expect(sampleValue(samples, 'cdc_events_in_total', service)).toBe(4);
    expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'forwarded' })).toBe(2);
    expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'dead_lettered' })).toBe(2);
    expect(sampleValue(samples, 'cdc_dead_letters_total', { ...service, topic: `${input}.dlq` })).toBe(2);
    expect(sampleValue(samples, 'cdc_batch_size_records_sum', service)).toBe(4);
    const batches = sampleValue(samples, 'cdc_batch_size_records_count', service)!;
    expect(sampleValue(samples, 'cdc_batch_duration_seconds_count', service)).toBe(batches);
    expect(sampleValue(samples, 'cdc_ready', service)).toBe(1);
    const lag = samplesOf(samples, 'cdc_consumer_lag_records', { ...service, topic: input });
    expect(lag.length).toBeGreaterThanOrEqual(1);
    for (const sample of lag) expect(sample.value).toBe(0);
    // /status says the same, in its own words.
    expect(handle.status().counters).toMatchObject({ consumed: 4, forwarded: 2, deadLettered: 2 });
  });
});
