import type { ErrorCode } from './error-codes.ts';
import { FailureTally, codeOf, codeTag, reasonOf, type FailureCounts } from './failure.ts';

/**
 * What a processor or sink waits for before it can serve, or serve again. Each is reported on
 * /ready (503 with the reasons) and /status until it is there.
 */
export type Dependency = 'kafka' | 'topics' | 'registry' | 'target' | 'redis';

export interface Waiting {
  readonly for: Dependency;
  /** The error code of the last failed attempt (docs/error-codes.md); undefined when it has none. */
  readonly code: ErrorCode | undefined;
  /** What is missing, in the pipeline file's words. */
  readonly reason: string;
  /** When the wait began (ISO 8601). */
  readonly since: string;
  /** Failed attempts so far. */
  readonly attempts: number;
}

/**
 * starting: not yet consuming (waiting for what `waiting` lists, if anything); running: consuming
 * (`waiting` lists what it waits for again, e.g. Kafka after a broker restart); failed: stopped by a
 * failure only an operator can fix.
 */
export type Phase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ReadinessSnapshot {
  readonly phase: Phase;
  /** Undefined when ready; else why not, as /ready says it. */
  readonly notReady: string | undefined;
  readonly waiting: readonly Waiting[];
  /** Failed attempts since the start by error code (UNCLASSIFIED: none), the final failure included. */
  readonly failuresByCode: FailureCounts;
}

/** A line for the log: one per failed attempt, and one when the service has what it waited for. */
export type WaitEvent =
  | {
      readonly kind: 'waiting';
      readonly for: Dependency;
      readonly code: ErrorCode | undefined;
      readonly reason: string;
      readonly attempt: number;
      /** Undefined when nothing is scheduled (kafkajs' own retries, a wait noticed rather than made). */
      readonly retryInMs: number | undefined;
    }
  | { readonly kind: 'resumed'; readonly for: Dependency; readonly waitedMs: number };

/** The readiness of one service: its phase and what it waits for. */
export class Readiness {
  #phase: Phase = 'starting';
  #failure: string | undefined;
  readonly #waiting = new Map<Dependency, Waiting & { readonly sinceMs: number }>();
  readonly #failures = new FailureTally();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /**
   * Records a failed attempt to reach `dependency`: `failure` is the error (its code and message
   * are reported) or the reason in words. Returns the attempt's number.
   */
  wait(dependency: Dependency, failure: unknown): number {
    const previous = this.#waiting.get(dependency);
    const sinceMs = previous?.sinceMs ?? this.#now();
    const attempts = (previous?.attempts ?? 0) + 1;
    this.#failures.add(failure);
    this.#waiting.set(dependency, {
      for: dependency,
      code: codeOf(failure),
      reason: reasonOf(failure),
      since: new Date(sinceMs).toISOString(),
      attempts,
      sinceMs,
    });
    return attempts;
  }

  /** `dependency` is there (again); returns how long it was waited for, undefined if it was not. */
  resolve(dependency: Dependency): number | undefined {
    const waiting = this.#waiting.get(dependency);
    if (!waiting) return undefined;
    this.#waiting.delete(dependency);
    return this.#now() - waiting.sinceMs;
  }

  isWaitingFor(dependency: Dependency): boolean {
    return this.#waiting.has(dependency);
  }

  running(): void {
    if (this.#phase === 'starting') this.#phase = 'running';
  }

  stopping(): void {
    if (this.#phase !== 'failed' && this.#phase !== 'stopped') this.#phase = 'stopping';
  }

  stopped(): void {
    if (this.#phase !== 'failed') this.#phase = 'stopped';
  }

  /** Stopped by `failure` (the error, or the reason in words). */
  failed(failure: unknown): void {
    this.#phase = 'failed';
    this.#failure = reasonOf(failure);
    this.#failures.add(failure);
  }

  /** Why the service is not ready, as /ready says it; undefined when it is. */
  notReady(): string | undefined {
    switch (this.#phase) {
      case 'failed':
        return `failed: ${this.#failure ?? 'unknown error'}`;
      case 'stopping':
      case 'stopped':
        return this.#phase;
      case 'starting':
        return this.#waiting.size === 0 ? 'starting' : `starting: ${this.#reasons()}`;
      case 'running':
        return this.#waiting.size === 0 ? undefined : this.#reasons();
    }
  }

  snapshot(): ReadinessSnapshot {
    return {
      phase: this.#phase,
      notReady: this.notReady(),
      waiting: [...this.#waiting.values()].map(({ sinceMs: _sinceMs, ...waiting }) => waiting),
      failuresByCode: this.#failures.counts(),
    };
  }

  #reasons(): string {
    return [...this.#waiting.values()].map((w) => w.reason).join('; ');
  }
}

/** A delay for people: "0.4 s", "2 s", "12 s". */
export function formatDelay(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds < 10 ? Number(seconds.toFixed(1)) : Math.round(seconds)} s`;
}

/**
 * The log line of a wait event: "waiting for kafka [KAFKA_UNAVAILABLE]: <reason>; retrying in 2 s
 * (attempt 3)", or "Kafka answers (waited 34 s)".
 */
export function describeWaitEvent(event: WaitEvent): string {
  if (event.kind === 'resumed') return `${THERE_AGAIN[event.for]} (waited ${formatDelay(event.waitedMs)})`;
  const next = event.retryInMs === undefined ? '' : `; retrying in ${formatDelay(event.retryInMs)}`;
  return `waiting for ${event.for}${codeTag(event.code)}: ${event.reason}${next} (attempt ${event.attempt})`;
}

const THERE_AGAIN: Readonly<Record<Dependency, string>> = {
  kafka: 'Kafka answers',
  topics: 'the topics exist',
  registry: 'the schema registry answers',
  target: 'the target answers',
  redis: 'Redis answers',
};
