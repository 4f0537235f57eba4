import { describe, expect, it } from 'vitest';
import { Readiness, ServiceMetrics } from '@cdc/core';
import { ProcessorMetrics, lagRecords } from './processor-metrics.ts';

function series(metrics: ServiceMetrics, name: string): Promise<Record<string, number>> {
  return metrics.values(name);
}

describe('lagRecords', () => {
  it('reads kafkajs offset lag, an empty partition (-1) as none', () => {
    expect(lagRecords('12')).toBe(12);
    expect(lagRecords('-1')).toBe(0);
    expect(lagRecords('not a number')).toBe(0);
  });
});

describe('ProcessorMetrics', () => {
  it('counts a batch: in, out by outcome, dead letters by topic, lag after it (the batch in hand before)', async () => {
    const metrics = new ServiceMetrics({ stage: 'processor', kind: 'validator', service: 'v' });
    const readiness = new Readiness();
    const processor = new ProcessorMetrics(metrics, readiness);
    processor.handling('in', 1, 10, '40');
    expect(await series(metrics, 'cdc_consumer_lag_records')).toEqual({
      'cdc_consumer_lag_records{topic:in,partition:1}': 50,
    });
    processor.handled({
      topic: 'in',
      partition: 1,
      records: 10,
      forwarded: 8,
      deadLetters: 2,
      dlqTopic: 'in.dlq',
      seconds: 0.05,
      offsetLag: '40',
    });
    processor.retried();
    readiness.wait('registry', 'the registry is away');
    expect(await series(metrics, 'cdc_consumer_lag_records')).toEqual({
      'cdc_consumer_lag_records{topic:in,partition:1}': 40,
    });
    expect(await series(metrics, 'cdc_events_out_total')).toEqual({
      'cdc_events_out_total{outcome:forwarded}': 8,
      'cdc_events_out_total{outcome:dead_lettered}': 2,
    });
    expect(await series(metrics, 'cdc_events_in_total')).toEqual({ 'cdc_events_in_total{}': 10 });
    expect(await series(metrics, 'cdc_dead_letters_total')).toEqual({
      'cdc_dead_letters_total{topic:in.dlq}': 2,
    });
    expect(await series(metrics, 'cdc_retries_total')).toEqual({ 'cdc_retries_total{}': 1 });
    expect(await series(metrics, 'cdc_failures_total')).toEqual({
      'cdc_failures_total{code:UNCLASSIFIED}': 1,
    });
    const sizes = await series(metrics, 'cdc_batch_size_records');
    expect(sizes['cdc_batch_size_records_count{}']).toBe(1);
    expect(sizes['cdc_batch_size_records_sum{}']).toBe(10);
  });
});
