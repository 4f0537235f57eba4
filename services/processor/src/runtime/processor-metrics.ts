import { mirrorFailures, type Readiness, type ServiceMetrics } from '@cdc/core';

/** What one handled batch did, for its metrics. */
export interface HandledBatch {
  readonly topic: string;
  readonly partition: number;
  /** Records handled (those a transaction we did not see end had committed left out). */
  readonly records: number;
  readonly forwarded: number;
  readonly deadLetters: number;
  readonly dlqTopic: string;
  /** Handling, writing and committing, retries included. */
  readonly seconds: number;
  /** Records behind the head of the partition after this batch (kafkajs' batch.offsetLag()). */
  readonly offsetLag: string;
}

/**
 * A processor's metrics (stage processor, core/src/metrics/catalog.ts): events in and out by
 * outcome, dead letters, retries, batches, lag per partition, and the failures of `readiness`
 * (the same counts as /status's failuresByCode).
 */
export class ProcessorMetrics {
  readonly #forwarded;
  readonly #deadLettered;
  readonly #eventsIn;
  readonly #retries;
  readonly #deadLetters;
  readonly #batchSize;
  readonly #batchDuration;
  readonly #lag;

  constructor(metrics: ServiceMetrics, readiness: Readiness) {
    const out = metrics.get('eventsOut');
    this.#forwarded = out.labels({ outcome: 'forwarded' });
    this.#deadLettered = out.labels({ outcome: 'dead_lettered' });
    // Shown at 0 before the first: a rate over a series that is not there is no rate.
    this.#forwarded.inc(0);
    this.#deadLettered.inc(0);
    this.#eventsIn = metrics.get('eventsIn');
    this.#retries = metrics.get('retries');
    this.#deadLetters = metrics.get('deadLetters');
    this.#batchSize = metrics.get('batchSize');
    this.#batchDuration = metrics.get('batchDuration');
    this.#lag = metrics.get('consumerLag');
    mirrorFailures(metrics, () => readiness.snapshot().failuresByCode);
  }

  /** A failed attempt (a batch, a schema or enrichment lookup, Kafka) that is waited out and tried again. */
  retried(): void {
    this.#retries.inc();
  }

  /** A batch is in hand: its records count as lag until it is committed. */
  handling(topic: string, partition: number, records: number, offsetLag: string): void {
    this.#lag.set(lagLabels(topic, partition), lagRecords(offsetLag) + records);
  }

  handled(batch: HandledBatch): void {
    this.#eventsIn.inc(batch.records);
    this.#forwarded.inc(batch.forwarded);
    this.#deadLettered.inc(batch.deadLetters);
    if (batch.deadLetters > 0) this.#deadLetters.inc({ topic: batch.dlqTopic }, batch.deadLetters);
    this.#batchSize.observe(batch.records);
    this.#batchDuration.observe(batch.seconds);
    this.#lag.set(lagLabels(batch.topic, batch.partition), lagRecords(batch.offsetLag));
  }
}

function lagLabels(topic: string, partition: number): { topic: string; partition: string } {
  return { topic, partition: String(partition) };
}

/** kafkajs' offset lag as a count; it counts commit markers too, and is -1 for an empty partition. */
export function lagRecords(offsetLag: string): number {
  const lag = Number(offsetLag);
  return Number.isFinite(lag) ? Math.max(0, lag) : 0;
}
