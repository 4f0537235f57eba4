import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

// The service's prom-client metrics (services/core/src/metrics/service-metrics.ts) as OTLP
// metric data, so that one set of instruments serves both /metrics and an OTLP push. Pure: the
// registry's JSON and the times in, the SDK's data model out (metric-producer.ts does the I/O).

/** One series of prom-client's `getMetricsAsJSON()`; histograms name theirs `_bucket`, `_sum`, `_count`. */
export interface PromValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly metricName?: string;
}

/**
 * One metric of `getMetricsAsJSON()`. prom-client's typings declare `type` a numeric enum, but
 * the JSON holds its name ('counter', 'gauge', 'histogram', 'summary'): hence `unknown`.
 */
export interface PromMetric {
  readonly name: string;
  readonly help: string;
  readonly type: unknown;
  readonly values: readonly PromValue[];
}

export interface BridgeTimes {
  /** When the counters started counting (cumulative data points start there). */
  readonly startTime: HrTime;
  /** The collection's time. */
  readonly endTime: HrTime;
}

export const BRIDGE_SCOPE = { name: '@cdc/core' } as const;

/**
 * The metrics as one scope: counters become monotonic cumulative sums, gauges gauges, histograms
 * explicit-bucket histograms; labels become attributes. Summaries (the catalog has none) and
 * metrics with no series yet are left out.
 */
export function promToScopeMetrics(metrics: readonly PromMetric[], times: BridgeTimes): ScopeMetrics {
  const converted: MetricData[] = [];
  for (const metric of metrics) {
    const data = convert(metric, times);
    if (data) converted.push(data);
  }
  return { scope: BRIDGE_SCOPE, metrics: converted };
}

function convert(metric: PromMetric, times: BridgeTimes): MetricData | undefined {
  if (metric.values.length === 0) return undefined;
  // No unit: the catalog's names carry it (_seconds, _bytes), as OTLP-to-Prometheus expects.
  const descriptor = { name: metric.name, description: metric.help, unit: '', valueType: ValueType.DOUBLE };
  const base = { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE };
  switch (metric.type) {
    case 'counter':
      return {
        ...base,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: metric.values.map((v) => point(v.value, attributesOf(v.labels), times)),
      };
    case 'gauge':
      return {
        ...base,
        dataPointType: DataPointType.GAUGE,
        dataPoints: metric.values.map((v) => point(v.value, attributesOf(v.labels), times)),
      };
    case 'histogram':
      return { ...base, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(metric, times) };
    default:
      return undefined;
  }
}

function point<T>(value: T, attributes: Attributes, times: BridgeTimes): DataPoint<T> {
  return { startTime: times.startTime, endTime: times.endTime, attributes, value };
}

/** Labels as attributes; `le` is a histogram bucket's bound, not a label of the series. */
function attributesOf(labels: PromValue['labels']): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(labels)) {
    if (name !== 'le' && value !== undefined) attributes[name] = value;
  }
  return attributes;
}

interface HistogramSeries {
  readonly attributes: Attributes;
  /** Cumulative counts by upper bound, as prom-client gives them (`le`, +Inf last). */
  readonly buckets: { bound: number; count: number }[];
  sum: number | undefined;
  count: number | undefined;
}

/**
 * A histogram's series, one per label set. prom-client's buckets are cumulative (`le`: values at
 * most the bound); OTLP's count each interval on its own, the last one above the highest bound.
 */
function histogramPoints(metric: PromMetric, times: BridgeTimes): DataPoint<Histogram>[] {
  const series = new Map<string, HistogramSeries>();
  for (const value of metric.values) {
    const attributes = attributesOf(value.labels);
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
    let entry = series.get(key);
    if (!entry) {
      entry = { attributes, buckets: [], sum: undefined, count: undefined };
      series.set(key, entry);
    }
    const part = value.metricName?.slice(metric.name.length);
    if (part === '_sum') entry.sum = value.value;
    else if (part === '_count') entry.count = value.value;
    else if (value.labels.le !== undefined)
      entry.buckets.push({ bound: boundOf(value.labels.le), count: value.value });
  }
  return [...series.values()].map((entry) => point(histogramOf(entry), entry.attributes, times));
}

function boundOf(le: string | number): number {
  return le === '+Inf' ? Infinity : Number(le);
}

function histogramOf(entry: HistogramSeries): Histogram {
  const sorted = [...entry.buckets].sort((a, b) => a.bound - b.bound);
  const finite = sorted.filter((b) => Number.isFinite(b.bound));
  const total = entry.count ?? sorted.at(-1)?.count ?? 0;
  const counts: number[] = [];
  let below = 0;
  for (const bucket of finite) {
    counts.push(Math.max(0, bucket.count - below));
    below = Math.max(below, bucket.count);
  }
  counts.push(Math.max(0, total - below));
  return {
    buckets: { boundaries: finite.map((b) => b.bound), counts },
    count: total,
    ...(entry.sum === undefined ? {} : { sum: entry.sum }),
  };
}
