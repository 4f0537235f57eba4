import { mirrorFailures, type FailureCounts, type ServiceMetrics, type SlotPositions } from '@cdc/core';

/** What the change stream reports as it goes (stream/change-stream.ts). */
export interface StreamObserver {
  /** Changes decoded from the WAL (a truncate counts once per table). */
  decoded(changes: number): void;
  /** A Kafka send acknowledged: its records, and how long it took. */
  sent(records: number, seconds: number): void;
  /** Our heartbeat message came back through the slot (stream/heartbeat.ts). */
  heartbeatSeen(): void;
}

/** What the snapshot reports as it goes (snapshot/snapshotter.ts). */
export interface SnapshotObserver {
  sent(records: number, seconds: number): void;
  /** A table's copy starts; `estimatedRows` is pg_class.reltuples (undefined: never analysed). */
  tableStarted(table: string, estimatedRows: number | undefined): void;
  rowsRead(table: string, rows: number): void;
  tableDone(table: string): void;
}

export interface SourceMetricsOptions {
  readonly slot: string;
  /** Heartbeats are on (heartbeat.interval_ms > 0): the heartbeat age is exported. */
  readonly heartbeats: boolean;
  /** The slot's positions, or undefined when they cannot be read now (slot-watch.ts). */
  readonly readSlot: () => Promise<SlotPositions | undefined>;
  /** Now - commit time of the last change acknowledged, in ms (stream-progress.ts processingLag). */
  readonly processingLagMs: () => number | undefined;
  /** The source's failures by code, as /status shows them. */
  readonly failures: () => FailureCounts;
  readonly now?: () => number;
}

/**
 * The source's metrics (stage source, core/src/metrics/catalog.ts): filled by the stream and the
 * snapshot as they go; the slot's positions, the lags and the snapshot's progress are set before
 * each scrape. One for the service's life: streams come and go with reconnects, the counters stay.
 */
export class SourceMetrics implements StreamObserver, SnapshotObserver {
  readonly metrics: ServiceMetrics;
  readonly #options: SourceMetricsOptions;
  readonly #now: () => number;
  readonly #eventsIn;
  readonly #sent;
  readonly #retries;
  readonly #batchSize;
  readonly #batchDuration;
  readonly #snapshotRows;
  readonly #jobs = new Map<string, { read: number; estimate: number | undefined; done: boolean }>();
  /** When the last heartbeat came back; until the first, when streaming first started. */
  #heartbeatAtMs: number | undefined;

  constructor(metrics: ServiceMetrics, options: SourceMetricsOptions) {
    this.metrics = metrics;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#eventsIn = metrics.get('eventsIn');
    this.#sent = metrics.get('eventsOut').labels({ outcome: 'sent' });
    this.#sent.inc(0); // shown at 0 before the first send
    this.#retries = metrics.get('retries');
    this.#batchSize = metrics.get('batchSize');
    this.#batchDuration = metrics.get('batchDuration');
    this.#snapshotRows = metrics.get('snapshotRows');
    mirrorFailures(metrics, options.failures);
    metrics.beforeScrape(() => this.#refresh());
  }

  decoded(changes: number): void {
    this.#eventsIn.inc(changes);
  }

  sent(records: number, seconds: number): void {
    this.#sent.inc(records);
    this.#batchSize.observe(records);
    this.#batchDuration.observe(seconds);
  }

  heartbeatSeen(): void {
    this.#heartbeatAtMs = this.#now();
  }

  /** Streaming (again): the heartbeat age counts from here until the first heartbeat comes back. */
  streaming(): void {
    this.#heartbeatAtMs ??= this.#now();
  }

  /** A failed attempt waited out before the next (a reconnect). */
  retried(): void {
    this.#retries.inc();
  }

  tableStarted(table: string, estimatedRows: number | undefined): void {
    this.#jobs.set(table, { read: 0, estimate: estimatedRows, done: false });
  }

  rowsRead(table: string, rows: number): void {
    this.#snapshotRows.inc({ table }, rows);
    const job = this.#jobs.get(table);
    if (job) job.read += rows;
  }

  tableDone(table: string): void {
    const job = this.#jobs.get(table);
    if (job) job.done = true;
  }

  async #refresh(): Promise<void> {
    const { metrics } = this;
    const lagMs = this.#options.processingLagMs();
    if (lagMs !== undefined) metrics.get('processingLag').set(lagMs / 1000);
    if (this.#options.heartbeats && this.#heartbeatAtMs !== undefined)
      metrics.get('heartbeatAge').set(Math.max(0, this.#now() - this.#heartbeatAtMs) / 1000);
    for (const [table, job] of this.#jobs)
      metrics
        .get('jobProgress')
        .set({ task: `snapshot ${table}` }, jobRatio(job.read, job.estimate, job.done));
    const positions = await this.#options.readSlot();
    const slot = { slot: this.#options.slot };
    if (positions?.lagBytes !== undefined) metrics.get('slotLag').set(slot, positions.lagBytes);
    if (positions?.retainedBytes !== undefined) metrics.get('walRetained').set(slot, positions.retainedBytes);
  }
}

/**
 * A table's snapshot progress: rows read over the planner's estimate at the start, at most 1
 * (the estimate is from the last ANALYZE), 1 once done; 0 while a never-analysed table has none.
 */
export function jobRatio(read: number, estimate: number | undefined, done: boolean): number {
  if (done) return 1;
  if (estimate === undefined || !(estimate > 0)) return 0;
  return Math.min(1, read / estimate);
}
