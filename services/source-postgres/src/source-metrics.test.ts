import { describe, expect, it } from 'vitest';
import { ServiceMetrics, type SlotPositions } from '@cdc/core';
import { SourceMetrics, jobRatio } from './source-metrics.ts';

function series(metrics: ServiceMetrics, name: string): Promise<Record<string, number>> {
  return metrics.values(name);
}

function source(options: { heartbeats?: boolean; slot?: () => Promise<SlotPositions | undefined> } = {}) {
  let now = 1_000_000;
  let lagMs: number | undefined;
  const metrics = new ServiceMetrics({ stage: 'source', kind: 'postgres', service: 'pg' });
  const observer = new SourceMetrics(metrics, {
    slot: 'cdc_slot',
    heartbeats: options.heartbeats ?? true,
    readSlot: options.slot ?? (async () => undefined),
    processingLagMs: () => lagMs,
    failures: () => ({}),
    now: () => now,
  });
  return {
    metrics,
    observer,
    advance: (ms: number) => (now += ms),
    setLag: (ms: number) => (lagMs = ms),
    scrape: () => metrics.text(),
  };
}

describe('jobRatio', () => {
  it('is rows read over the estimate, at most 1, 1 when done, 0 without an estimate', () => {
    expect(jobRatio(25, 100, false)).toBe(0.25);
    expect(jobRatio(150, 100, false)).toBe(1);
    expect(jobRatio(3, undefined, false)).toBe(0);
    expect(jobRatio(3, 0, false)).toBe(0);
    expect(jobRatio(3, undefined, true)).toBe(1);
  });
});

describe('SourceMetrics', () => {
  it('sets the slot gauges from one read, and leaves them as they were when a read fails', async () => {
    let positions: SlotPositions | undefined = { lagBytes: 120, retainedBytes: 4096 };
    const { metrics, scrape } = source({ slot: async () => positions });
    await scrape();
    expect(await series(metrics, 'cdc_source_slot_lag_bytes')).toEqual({
      'cdc_source_slot_lag_bytes{slot:cdc_slot}': 120,
    });
    positions = undefined; // the database is away
    await scrape();
    expect(await series(metrics, 'cdc_source_slot_lag_bytes')).toEqual({
      'cdc_source_slot_lag_bytes{slot:cdc_slot}': 120,
    });
    expect(await series(metrics, 'cdc_source_wal_retained_bytes')).toEqual({
      'cdc_source_wal_retained_bytes{slot:cdc_slot}': 4096,
    });
  });

  it('tells the heartbeat age from streaming, then from the last heartbeat seen', async () => {
    const { metrics, observer, advance, scrape } = source();
    await scrape();
    expect(await series(metrics, 'cdc_source_heartbeat_age_seconds')).toEqual({});
    observer.streaming();
    advance(5_000);
    await scrape();
    expect(await series(metrics, 'cdc_source_heartbeat_age_seconds')).toEqual({
      'cdc_source_heartbeat_age_seconds{}': 5,
    });
    observer.heartbeatSeen();
    advance(2_000);
    observer.streaming(); // a reconnect does not reset it
    await scrape();
    expect(await series(metrics, 'cdc_source_heartbeat_age_seconds')).toEqual({
      'cdc_source_heartbeat_age_seconds{}': 2,
    });
  });

  it('exports no heartbeat age when heartbeats are off', async () => {
    const { metrics, observer, scrape } = source({ heartbeats: false });
    observer.streaming();
    await scrape();
    expect(await series(metrics, 'cdc_source_heartbeat_age_seconds')).toEqual({});
  });

  it('counts snapshot rows per table and its progress against the estimate', async () => {
    const { metrics, observer, scrape, setLag } = source();
    observer.tableStarted('public.a', 200);
    observer.rowsRead('public.a', 50);
    observer.tableStarted('public.b', undefined);
    observer.rowsRead('public.b', 10);
    setLag(1_500);
    await scrape();
    expect(await series(metrics, 'cdc_job_progress_ratio')).toEqual({
      'cdc_job_progress_ratio{task:snapshot public.a}': 0.25,
      'cdc_job_progress_ratio{task:snapshot public.b}': 0,
    });
    observer.rowsRead('public.a', 100);
    observer.tableDone('public.b');
    await scrape();
    expect(await series(metrics, 'cdc_job_progress_ratio')).toEqual({
      'cdc_job_progress_ratio{task:snapshot public.a}': 0.75,
      'cdc_job_progress_ratio{task:snapshot public.b}': 1,
    });
    expect(await series(metrics, 'cdc_source_snapshot_rows_total')).toEqual({
      'cdc_source_snapshot_rows_total{table:public.a}': 150,
      'cdc_source_snapshot_rows_total{table:public.b}': 10,
    });
    expect(await series(metrics, 'cdc_source_processing_lag_seconds')).toEqual({
      'cdc_source_processing_lag_seconds{}': 1.5,
    });
  });

  it('counts changes decoded, records sent with their sends, and reconnect attempts', async () => {
    const { metrics, observer } = source();
    observer.decoded(3);
    observer.sent(3, 0.01);
    observer.retried();
    expect(await series(metrics, 'cdc_events_in_total')).toEqual({ 'cdc_events_in_total{}': 3 });
    expect(await series(metrics, 'cdc_events_out_total')).toEqual({
      'cdc_events_out_total{outcome:sent}': 3,
    });
    expect(await series(metrics, 'cdc_retries_total')).toEqual({ 'cdc_retries_total{}': 1 });
    expect((await series(metrics, 'cdc_batch_size_records'))['cdc_batch_size_records_count{}']).toBe(1);
  });
});
