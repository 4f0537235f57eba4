/**
 * Every metric the services export, in one place: the services create their instruments from
 * it, and the Grafana dashboards and Prometheus alert rules (deploy/grafana, deploy/prometheus)
 * are checked against it, so a query can only name a series that exists.
 *
 * Names follow Prometheus and OpenTelemetry conventions: the `cdc_` namespace, base units in the
 * name (seconds, bytes), `_total` on counters, `_ratio` for 0..1. Every series also carries the
 * registry's default labels, `stage` (source, processor, sink), `kind` (postgres; validator,
 * transformer; a sink kind) and `service` (the name in the pipeline file): see
 * `service-metrics.ts`.
 */

export const METRIC_STAGES = ['source', 'processor', 'sink'] as const;
export type MetricStage = (typeof METRIC_STAGES)[number];

/** The labels every series of a service carries (the registry's default labels). */
export const SERVICE_LABELS = ['stage', 'kind', 'service'] as const;

export interface MetricSpec {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** Labels of its own, beyond SERVICE_LABELS. */
  readonly labels: readonly string[];
  /** The stages that export it. */
  readonly stages: readonly MetricStage[];
  /** Histogram bucket bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

const ALL: readonly MetricStage[] = METRIC_STAGES;
const CONSUMERS: readonly MetricStage[] = ['processor', 'sink'];

/** Seconds, from 5 ms to 5 min: an event's way through the pipeline, or a batch's write. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const RECORD_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const METRICS = {
  eventsIn: {
    name: 'cdc_events_in_total',
    type: 'counter',
    help: 'Events taken in: changes decoded from the WAL (source), records consumed (processor, sink).',
    labels: [],
    stages: ALL,
  },
  eventsOut: {
    name: 'cdc_events_out_total',
    type: 'counter',
    help: 'Events handed on, by outcome: sent (source); forwarded, dead_lettered (processor); written, stale, skipped, failed (sink).',
    labels: ['outcome'],
    stages: ALL,
  },
  failures: {
    name: 'cdc_failures_total',
    type: 'counter',
    help: 'Failures by error code (docs/error-codes.md), retried or final.',
    labels: ['code'],
    stages: ALL,
  },
  retries: {
    name: 'cdc_retries_total',
    type: 'counter',
    help: 'Failed attempts that were waited out and tried again.',
    labels: [],
    stages: ALL,
  },
  deadLetters: {
    name: 'cdc_dead_letters_total',
    type: 'counter',
    help: 'Records written to a dead-letter topic, by that topic.',
    labels: ['topic'],
    stages: CONSUMERS,
  },
  batchSize: {
    name: 'cdc_batch_size_records',
    type: 'histogram',
    help: 'Records per batch: sent to Kafka (source), handled (processor), written (sink).',
    labels: [],
    stages: ALL,
    buckets: RECORD_BUCKETS,
  },
  batchDuration: {
    name: 'cdc_batch_duration_seconds',
    type: 'histogram',
    help: 'Time to hand a batch on: a Kafka send (source), handling and commit (processor), the write with its retries (sink).',
    labels: [],
    stages: ALL,
    buckets: SECONDS_BUCKETS,
  },
  ready: {
    name: 'cdc_ready',
    type: 'gauge',
    help: '1 when the service is ready (as /ready), 0 while it waits for something.',
    labels: [],
    stages: ALL,
  },
  consumerLag: {
    name: 'cdc_consumer_lag_records',
    type: 'gauge',
    help: 'Records behind the head of a partition, the batch being written included.',
    labels: ['topic', 'partition'],
    stages: CONSUMERS,
  },
  slotLag: {
    name: 'cdc_source_slot_lag_bytes',
    type: 'gauge',
    help: "WAL bytes between the server's current position and the slot's confirmed position.",
    labels: ['slot'],
    stages: ['source'],
  },
  walRetained: {
    name: 'cdc_source_wal_retained_bytes',
    type: 'gauge',
    help: 'WAL bytes the server keeps for the slot (from its restart position).',
    labels: ['slot'],
    stages: ['source'],
  },
  processingLag: {
    name: 'cdc_source_processing_lag_seconds',
    type: 'gauge',
    help: 'Commit time of the last change sent to Kafka, behind now.',
    labels: [],
    stages: ['source'],
  },
  heartbeatAge: {
    name: 'cdc_source_heartbeat_age_seconds',
    type: 'gauge',
    help: 'Time since the last heartbeat came back through the slot (grows when the source stalls).',
    labels: [],
    stages: ['source'],
  },
  snapshotRows: {
    name: 'cdc_source_snapshot_rows_total',
    type: 'counter',
    help: 'Rows read by the snapshot, by table.',
    labels: ['table'],
    stages: ['source'],
  },
  jobProgress: {
    name: 'cdc_job_progress_ratio',
    type: 'gauge',
    help: "Progress of a long job (the snapshot of a table), 0 to 1, by task (`job` is the scrape job's label in Prometheus).",
    labels: ['task'],
    stages: ['source'],
  },
  endToEndLatency: {
    name: 'cdc_end_to_end_latency_seconds',
    type: 'histogram',
    help: 'Commit at the source to written at this sink.',
    labels: [],
    stages: ['sink'],
    buckets: SECONDS_BUCKETS,
  },
  conflicts: {
    name: 'cdc_sink_conflicts_total',
    type: 'counter',
    help: 'Target records edited by someone else since our last write, by how the policy resolved them.',
    labels: ['resolution'],
    stages: ['sink'],
  },
  circuitState: {
    name: 'cdc_sink_circuit_breaker_state',
    type: 'gauge',
    help: "The circuit breaker's state: 1 for the current one of closed, open, half_open.",
    labels: ['state'],
    stages: ['sink'],
  },
  rateLimitWait: {
    name: 'cdc_sink_rate_limit_wait_seconds_total',
    type: 'counter',
    help: "Time spent waiting on a rate limit: the target's request budget, Retry-After pauses, the sink's own limit.",
    labels: [],
    stages: ['sink'],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricId = keyof typeof METRICS;

/** The series names a metric exports (a histogram's buckets, sum and count). */
export function seriesNames(spec: MetricSpec): string[] {
  return spec.type === 'histogram'
    ? [`${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`]
    : [spec.name];
}

/** Every series name the services export, their own and prom-client's process metrics aside. */
export function exportedSeriesNames(): Set<string> {
  return new Set(Object.values(METRICS).flatMap((spec: MetricSpec) => seriesNames(spec)));
}
