import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../metrics/service-metrics.ts';
import {
  SinkTally,
  breakerSeries,
  mirrorBreaker,
  rateLimitClock,
  type BreakerState,
} from './sink-metrics.ts';
import type { SinkConflict, SinkEvent } from './sink.ts';

const event = (commitTimeMs: number): SinkEvent => ({
  topic: 't',
  partition: 0,
  offset: '0',
  op: 'c',
  key: { id: 1 },
  before: null,
  after: { id: 1 },
  unchanged: [],
  version: { commitLsn: 1n, seq: 0n },
  commitTimeMs,
  table: { schema: 'public', name: 'p' },
  headers: {},
});

const conflict: SinkConflict = {
  policy: 'target_wins',
  resolution: 'target',
  target: null,
  source: null,
  changedFields: ['name'],
};

function sinkMetrics(): ServiceMetrics {
  return new ServiceMetrics({ stage: 'sink', kind: 'redis', service: 'cache' });
}

function series(metrics: ServiceMetrics, name: string): Promise<Record<string, number>> {
  return metrics.values(name);
}

describe('breakerSeries', () => {
  it.each<[BreakerState, Record<string, number>]>([
    ['closed', { closed: 1, open: 0, half_open: 0 }],
    ['open', { closed: 0, open: 1, half_open: 0 }],
    ['half-open', { closed: 0, open: 0, half_open: 1 }],
  ])('%s: 1 for the current state only', (state, expected) => {
    expect(breakerSeries(state)).toEqual(expected);
  });

  it('mirrors the state into cdc_sink_circuit_breaker_state before each scrape', async () => {
    const metrics = sinkMetrics();
    let state: BreakerState = 'closed';
    mirrorBreaker(metrics, () => state);
    state = 'half-open';
    expect(await series(metrics, 'cdc_sink_circuit_breaker_state')).toEqual({
      'cdc_sink_circuit_breaker_state{state:closed}': 0,
      'cdc_sink_circuit_breaker_state{state:open}': 0,
      'cdc_sink_circuit_breaker_state{state:half_open}': 1,
    });
  });
});

describe('SinkTally', () => {
  it('counts lag per partition, the batch being written included, for /status and the gauge', async () => {
    const metrics = sinkMetrics();
    const tally = new SinkTally(metrics);
    tally.committed('t', 0, 10, '5');
    tally.committed('t', 1, 10, '-1'); // an empty partition: kafkajs says -1
    tally.writing('t', 0, 7);
    tally.writing('u', 2, 3);
    expect(tally.lagByPartition()).toEqual([
      { topic: 't', partition: 0, records: 12 },
      { topic: 't', partition: 1, records: 0 },
      { topic: 'u', partition: 2, records: 3 },
    ]);
    expect(tally.lagRecords()).toBe(15);
    expect(await series(metrics, 'cdc_consumer_lag_records')).toEqual({
      'cdc_consumer_lag_records{topic:t,partition:0}': 12,
      'cdc_consumer_lag_records{topic:t,partition:1}': 0,
      'cdc_consumer_lag_records{topic:u,partition:2}': 3,
    });
    tally.committed('t', 0, 7, '2');
    expect(tally.lagRecords()).toBe(5);
  });

  it('counts outcomes, conflicts and latency into the counters and the metrics alike', async () => {
    const metrics = sinkMetrics();
    const tally = new SinkTally(metrics);
    tally.count({ kind: 'written' }, event(1_000), 3_500);
    tally.count({ kind: 'written' }, event(3_000), 3_500);
    tally.count({ kind: 'stale' }, event(0), 3_500);
    tally.count({ kind: 'skipped', conflict }, event(0), 3_500);
    tally.count({ kind: 'failed', reason: 'refused' }, event(0), 3_500);
    tally.retried();
    tally.wrote(5, 0.2);
    tally.deadLettered('t.dlq', 1);
    tally.deadLettered('t.dlq', 0);
    tally.committed('t', 0, 5, '0');
    expect(tally.counters).toMatchObject({
      consumed: 5,
      written: 2,
      stale: 1,
      skipped: 1,
      failed: 1,
      conflicts: 1,
      retries: 1,
      batches: 1,
    });
    expect(await series(metrics, 'cdc_events_out_total')).toEqual({
      'cdc_events_out_total{outcome:written}': 2,
      'cdc_events_out_total{outcome:stale}': 1,
      'cdc_events_out_total{outcome:skipped}': 1,
      'cdc_events_out_total{outcome:failed}': 1,
    });
    expect(await series(metrics, 'cdc_events_in_total')).toEqual({ 'cdc_events_in_total{}': 5 });
    expect(await series(metrics, 'cdc_sink_conflicts_total')).toEqual({
      'cdc_sink_conflicts_total{resolution:target}': 1,
    });
    expect(await series(metrics, 'cdc_dead_letters_total')).toEqual({
      'cdc_dead_letters_total{topic:t.dlq}': 1,
    });
    expect(await series(metrics, 'cdc_retries_total')).toEqual({ 'cdc_retries_total{}': 1 });
    const latency = await series(metrics, 'cdc_end_to_end_latency_seconds');
    expect(latency['cdc_end_to_end_latency_seconds_count{}']).toBe(2);
    expect(latency['cdc_end_to_end_latency_seconds_sum{}']).toBeCloseTo(3);
    expect(latency['cdc_end_to_end_latency_seconds_bucket{le:0.5}']).toBe(1);
    expect(tally.latencyMs()).toEqual({ p50: 2_500, p99: 2_500 });
    const batches = await series(metrics, 'cdc_batch_size_records');
    expect(batches['cdc_batch_size_records_sum{}']).toBe(5);
  });

  it('works without metrics, for /status alone', () => {
    const tally = new SinkTally();
    tally.count({ kind: 'written' }, event(0), 10);
    tally.retried();
    expect(tally.counters).toMatchObject({ written: 1, retries: 1 });
  });
});

describe('rateLimitClock', () => {
  it('adds the time waited to cdc_sink_rate_limit_wait_seconds_total, a wait under way included', async () => {
    const metrics = sinkMetrics();
    const clock = rateLimitClock(metrics);
    expect(await series(metrics, 'cdc_sink_rate_limit_wait_seconds_total')).toEqual({
      'cdc_sink_rate_limit_wait_seconds_total{}': 0,
    });
    const end = clock.begin();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const during = (await series(metrics, 'cdc_sink_rate_limit_wait_seconds_total'))[
      'cdc_sink_rate_limit_wait_seconds_total{}'
    ]!;
    expect(during).toBeGreaterThan(0);
    end();
    const after = (await series(metrics, 'cdc_sink_rate_limit_wait_seconds_total'))[
      'cdc_sink_rate_limit_wait_seconds_total{}'
    ]!;
    expect(after).toBeGreaterThanOrEqual(during);
  });
});
