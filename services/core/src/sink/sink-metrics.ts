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

/** The sink's counters, lag per partition and latency window, and how outcomes count. */
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
  readonly #lag = new Map<string, number>();
  readonly #pending = new Map<string, number>();

  count(outcome: WriteOutcome, event: SinkEvent, writtenAtMs: number): void {
    switch (outcome.kind) {
      case 'written':
        this.counters.written += 1;
        this.#latency.add(Math.max(0, writtenAtMs - event.commitTimeMs));
        break;
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
    if ('conflict' in outcome && outcome.conflict) this.counters.conflicts += 1;
  }

  /**
   * A batch is being written: its records count as lag until it is committed. Without this, a
   * sink held back by its target's quota showed no lag while its first batch was still under way.
   */
  writing(topic: string, partition: number, records: number): void {
    this.#pending.set(`${topic}/${partition}`, records);
  }

  /** A batch committed: its records, and how far its partition is behind the head. */
  committed(topic: string, partition: number, records: number, offsetLag: string): void {
    this.counters.consumed += records;
    this.counters.batches += 1;
    this.#pending.delete(`${topic}/${partition}`);
    this.#lag.set(`${topic}/${partition}`, Math.max(0, Number(offsetLag)));
  }

  lagRecords(): number {
    let sum = 0;
    for (const lag of this.#lag.values()) sum += lag;
    for (const records of this.#pending.values()) sum += records;
    return sum;
  }

  latencyMs(): SinkMetrics['latencyMs'] {
    return { p50: this.#latency.percentile(50), p99: this.#latency.percentile(99) };
  }
}
