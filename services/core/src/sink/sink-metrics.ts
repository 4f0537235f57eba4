import type { Counter } from 'prom-client';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import { WaitClock } from '../metrics/wait-clock.ts';
import type { ReadinessSnapshot } from '../readiness.ts';
import { LatencyWindow } from './latency-window.ts';
import type { SinkEvent, WriteOutcome } from './sink.ts';

export interface SinkCounters {
  consumed: number;
  written: number;
  /** Not applied: the target already held this version or a newer one (replays, duplicates). */
  stale: number;
  /** Left as the target has it, by conflict policy. */
  skipped: number;
  failed: number;
  conflicts: number;
  tombstones: number;
  batches: number;
  /** Failed attempts that were waited out: a write, a schema lookup, Kafka. */
  retries: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface SinkMetrics {
  readonly counters: SinkCounters;
  /** Records behind the head of the topics, summed over partitions, as of the last batch. */
  readonly lagRecords: number;
  /** Commit at the source -> written here, over the last written events. */
  readonly latencyMs: { readonly p50: number | undefined; readonly p99: number | undefined };
  readonly breaker: BreakerState;
  readonly lastError: string | undefined;
  /** Phase and what the sink waits for (see Readiness). */
  readonly readiness: ReadinessSnapshot;
}

/** Records behind the head of one partition, the batch being written included. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
}

/**
 * The sink's counters, lag per partition and latency window, and how outcomes count: the one
 * place that counts, for /status (`counters`) and, when given its ServiceMetrics, for /metrics
 * (the catalog's sink metrics, core/src/metrics/catalog.ts).
 */
export class SinkTally {
  readonly counters: SinkCounters = {
    consumed: 0,
    written: 0,
    stale: 0,
    skipped: 0,
    failed: 0,
    conflicts: 0,
    tombstones: 0,
    batches: 0,
    retries: 0,
  };
  readonly #latency = new LatencyWindow();
  readonly #lag = new Map<string, PartitionLag>();
  readonly #pending = new Map<string, PartitionLag>();
  readonly #instruments: SinkInstruments | undefined;

  constructor(metrics?: ServiceMetrics) {
    if (!metrics) return;
    this.#instruments = new SinkInstruments(metrics);
    const lag = metrics.get('consumerLag');
    metrics.beforeScrape(() => {
      for (const { topic, partition, records } of this.lagByPartition())
        lag.set({ topic, partition: String(partition) }, records);
    });
  }

  count(outcome: WriteOutcome, event: SinkEvent, writtenAtMs: number): void {
    switch (outcome.kind) {
      case 'written': {
        const latencyMs = Math.max(0, writtenAtMs - event.commitTimeMs);
        this.counters.written += 1;
        this.#latency.add(latencyMs);
        this.#instruments?.latency.observe(latencyMs / 1000);
        break;
      }
      case 'stale':
        this.counters.stale += 1;
        break;
      case 'skipped':
        this.counters.skipped += 1;
        break;
      case 'failed':
        this.counters.failed += 1;
        break;
    }
    this.#instruments?.out[outcome.kind].inc();
    if ('conflict' in outcome && outcome.conflict) {
      this.counters.conflicts += 1;
      this.#instruments?.conflicts.inc({ resolution: outcome.conflict.resolution });
    }
  }

  /** A failed attempt (a write, a schema lookup, Kafka) that is waited out and tried again. */
  retried(): void {
    this.counters.retries += 1;
    this.#instruments?.retries.inc();
  }

  /** A batch of `records` events written, its retries included, in `seconds`. */
  wrote(records: number, seconds: number): void {
    this.#instruments?.batchSize.observe(records);
    this.#instruments?.batchDuration.observe(seconds);
  }

  /** Records sent to a dead-letter topic. */
  deadLettered(topic: string, records: number): void {
    if (records > 0) this.#instruments?.deadLetters.inc({ topic }, records);
  }

  /**
   * A batch is being written: its records count as lag until it is committed. Without this, a
   * sink held back by its target's quota showed no lag while its first batch was still under way.
   */
  writing(topic: string, partition: number, records: number): void {
    this.#pending.set(`${topic}/${partition}`, { topic, partition, records });
  }

  /** A batch committed: its records, and how far its partition is behind the head. */
  committed(topic: string, partition: number, records: number, offsetLag: string): void {
    this.counters.consumed += records;
    this.counters.batches += 1;
    this.#instruments?.eventsIn.inc(records);
    this.#pending.delete(`${topic}/${partition}`);
    this.#lag.set(`${topic}/${partition}`, {
      topic,
      partition,
      records: Math.max(0, Number(offsetLag)),
    });
  }

  lagRecords(): number {
    let sum = 0;
    for (const { records } of this.lagByPartition()) sum += records;
    return sum;
  }

  /** Each partition's lag as of its last batch, plus the batch being written. */
  lagByPartition(): PartitionLag[] {
    const partitions = new Map<string, PartitionLag>(this.#lag);
    for (const [key, pending] of this.#pending) {
      const records = (partitions.get(key)?.records ?? 0) + pending.records;
      partitions.set(key, { ...pending, records });
    }
    return [...partitions.values()];
  }

  latencyMs(): SinkMetrics['latencyMs'] {
    return { p50: this.#latency.percentile(50), p99: this.#latency.percentile(99) };
  }
}

/** The catalog's instruments a SinkTally counts into; the outcome series exist from the start, at 0. */
class SinkInstruments {
  readonly out: Readonly<Record<WriteOutcome['kind'], ReturnType<Counter['labels']>>>;
  readonly eventsIn;
  readonly retries;
  readonly deadLetters;
  readonly conflicts;
  readonly batchSize;
  readonly batchDuration;
  readonly latency;

  constructor(metrics: ServiceMetrics) {
    const out = metrics.get('eventsOut');
    const series = (outcome: WriteOutcome['kind']) => {
      const child = out.labels({ outcome });
      child.inc(0); // shown at 0 before the first: a rate over a series that is not there is no rate
      return child;
    };
    this.out = {
      written: series('written'),
      stale: series('stale'),
      skipped: series('skipped'),
      failed: series('failed'),
    };
    this.eventsIn = metrics.get('eventsIn');
    this.retries = metrics.get('retries');
    this.deadLetters = metrics.get('deadLetters');
    this.conflicts = metrics.get('conflicts');
    this.batchSize = metrics.get('batchSize');
    this.batchDuration = metrics.get('batchDuration');
    this.latency = metrics.get('endToEndLatency');
  }
}

/** The series of cdc_sink_circuit_breaker_state: 1 for the current state, 0 for the others. */
export function breakerSeries(state: BreakerState): Record<'closed' | 'open' | 'half_open', 0 | 1> {
  return {
    closed: state === 'closed' ? 1 : 0,
    open: state === 'open' ? 1 : 0,
    half_open: state === 'half-open' ? 1 : 0,
  };
}

/** cdc_sink_circuit_breaker_state from `state`, read before each scrape. */
export function mirrorBreaker(metrics: ServiceMetrics, state: () => BreakerState): void {
  const gauge = metrics.get('circuitState');
  metrics.beforeScrape(() => {
    for (const [name, value] of Object.entries(breakerSeries(state()))) gauge.set({ state: name }, value);
  });
}

/**
 * A clock of time spent held back by a rate limit, into cdc_sink_rate_limit_wait_seconds_total
 * (flushed before each scrape). The runtime keeps one for its own limit (p-throttle, batch-writer.ts),
 * the sink's target one for its request budget (services/sinks/src/http/request-budget.ts).
 */
export function rateLimitClock(metrics: ServiceMetrics): WaitClock {
  const counter = metrics.get('rateLimitWait');
  const clock = new WaitClock((seconds) => counter.inc(seconds));
  metrics.beforeScrape(() => clock.flush());
  return clock;
}
