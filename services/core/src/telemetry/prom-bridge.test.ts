import type { HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../metrics/service-metrics.ts';
import { BRIDGE_SCOPE, promToScopeMetrics, type PromMetric } from './prom-bridge.ts';

const times = { startTime: [1_700_000_000, 5] as HrTime, endTime: [1_700_000_060, 7] as HrTime };

function registry(): Registry {
  const made = new Registry();
  made.setDefaultLabels({ stage: 'sink', service: 'orders' });
  return made;
}

async function convert(from: Registry): Promise<MetricData[]> {
  const scope = promToScopeMetrics(await from.getMetricsAsJSON(), times);
  expect(scope.scope).toEqual(BRIDGE_SCOPE);
  return scope.metrics;
}

function only(metrics: MetricData[], name: string): MetricData {
  const found = metrics.filter((m) => m.descriptor.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('prom-client metrics as OTLP metric data', () => {
  it('turns a counter into a monotonic cumulative sum per label set, labels as attributes', async () => {
    const from = registry();
    const events = new Counter({
      name: 'cdc_events_out_total',
      help: 'Events handed on',
      labelNames: ['outcome'],
      registers: [from],
    });
    events.inc({ outcome: 'written' }, 5);
    events.inc({ outcome: 'stale' });
    const metric = only(await convert(from), 'cdc_events_out_total');
    expect(metric).toMatchObject({
      descriptor: { name: 'cdc_events_out_total', description: 'Events handed on', unit: '' },
      dataPointType: DataPointType.SUM,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      isMonotonic: true,
    });
    expect(metric.dataPoints).toEqual([
      { ...times, attributes: { outcome: 'written', stage: 'sink', service: 'orders' }, value: 5 },
      { ...times, attributes: { outcome: 'stale', stage: 'sink', service: 'orders' }, value: 1 },
    ]);
  });

  it('keeps an unlabelled counter at zero, and leaves out a labelled one with no series yet', async () => {
    const from = registry();
    new Counter({ name: 'retries_total', help: 'r', registers: [from] });
    new Counter({ name: 'failures_total', help: 'f', labelNames: ['code'], registers: [from] });
    const metrics = await convert(from);
    expect(metrics.map((m) => m.descriptor.name)).toEqual(['retries_total']);
    expect(metrics[0]!.dataPoints).toEqual([
      { ...times, attributes: { stage: 'sink', service: 'orders' }, value: 0 },
    ]);
  });

  it('turns a gauge into a gauge, each label set its own point', async () => {
    const from = registry();
    const lag = new Gauge({
      name: 'cdc_consumer_lag_records',
      help: 'Lag',
      labelNames: ['topic', 'partition'],
      registers: [from],
    });
    lag.set({ topic: 'a', partition: '0' }, 12);
    lag.set({ topic: 'a', partition: '1' }, -0.5);
    const metric = only(await convert(from), 'cdc_consumer_lag_records');
    expect(metric.dataPointType).toBe(DataPointType.GAUGE);
    expect(metric.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ topic: 'a', partition: '0', stage: 'sink', service: 'orders' }, 12],
      [{ topic: 'a', partition: '1', stage: 'sink', service: 'orders' }, -0.5],
    ]);
  });

  it('turns cumulative le buckets into per-bucket counts, one point per label set', async () => {
    const from = registry();
    const duration = new Histogram({
      name: 'cdc_batch_duration_seconds',
      help: 'Batch duration',
      labelNames: ['code'],
      buckets: [0.1, 1, 10],
      registers: [from],
    });
    for (const seconds of [0.05, 0.1, 0.5, 0.7, 5, 50, 60]) duration.observe({ code: 'a' }, seconds);
    duration.observe({ code: 'b' }, 2);
    const metric = only(await convert(from), 'cdc_batch_duration_seconds');
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(metric.dataPoints).toEqual([
      {
        ...times,
        attributes: { code: 'a', stage: 'sink', service: 'orders' },
        value: {
          // 0.05 and 0.1 (bounds are inclusive), 0.5 and 0.7, 5, then 50 and 60 above the last bound
          buckets: { boundaries: [0.1, 1, 10], counts: [2, 2, 1, 2] },
          count: 7,
          sum: 116.35,
        },
      },
      {
        ...times,
        attributes: { code: 'b', stage: 'sink', service: 'orders' },
        value: { buckets: { boundaries: [0.1, 1, 10], counts: [0, 0, 1, 0] }, count: 1, sum: 2 },
      },
    ]);
  });

  it('gives an unlabelled histogram without observations empty buckets', async () => {
    const from = registry();
    new Histogram({ name: 'size_records', help: 's', buckets: [1, 5], registers: [from] });
    const metric = only(await convert(from), 'size_records');
    expect(metric.dataPoints).toEqual([
      {
        ...times,
        attributes: { stage: 'sink', service: 'orders' },
        value: { buckets: { boundaries: [1, 5], counts: [0, 0, 0] }, count: 0, sum: 0 },
      },
    ]);
  });

  it('reads buckets given out of order and without series names, +Inf or not', () => {
    const metric: PromMetric = {
      name: 'h',
      help: 'h',
      type: 'histogram',
      values: [
        { value: 6, labels: { le: '+Inf', job: 'x' } },
        { value: 4, labels: { le: 2, job: 'x' } },
        { value: 1, labels: { le: 1, job: 'x' } },
        { value: 3, labels: { le: 1, job: 'y' } },
        { value: 9, labels: { job: 'y' }, metricName: 'h_count' },
      ],
    };
    const [data] = promToScopeMetrics([metric], times).metrics;
    expect(data!.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ job: 'x' }, { buckets: { boundaries: [1, 2], counts: [1, 3, 2] }, count: 6 }],
      // no +Inf bucket: what the count has beyond the last bound is its overflow
      [{ job: 'y' }, { buckets: { boundaries: [1], counts: [3, 6] }, count: 9 }],
    ]);
  });

  it('leaves summaries out and keeps the order of the rest', async () => {
    const from = registry();
    new Gauge({ name: 'g', help: 'g', registers: [from] }).set(1);
    new Summary({ name: 's', help: 's', registers: [from] }).observe(1);
    new Counter({ name: 'c_total', help: 'c', registers: [from] }).inc();
    expect((await convert(from)).map((m) => m.descriptor.name)).toEqual(['g', 'c_total']);
  });

  it("converts a service's catalog metrics with its identity as attributes", async () => {
    const metrics = new ServiceMetrics({ stage: 'processor', kind: 'validator', service: 'check' });
    metrics.get('eventsOut').inc({ outcome: 'forwarded' }, 3);
    metrics.get('batchSize').observe(7);
    metrics.get('ready').set(1);
    const scope = promToScopeMetrics(await metrics.json(), times);
    const byName = new Map(scope.metrics.map((m) => [m.descriptor.name, m]));
    const identity = { stage: 'processor', kind: 'validator', service: 'check' };
    expect(byName.get('cdc_events_out_total')?.dataPoints).toEqual([
      { ...times, attributes: { outcome: 'forwarded', ...identity }, value: 3 },
    ]);
    expect(byName.get('cdc_ready')?.dataPoints[0]?.value).toBe(1);
    const size = byName.get('cdc_batch_size_records')?.dataPoints[0]?.value;
    expect(size).toMatchObject({ count: 1, sum: 7 });
    // 7 records: in the bucket (5, 10] of RECORD_BUCKETS
    expect(size).toMatchObject({ buckets: { counts: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } });
  });
});
