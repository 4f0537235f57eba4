import CircuitBreaker from 'opossum';
import pThrottle from 'p-throttle';
import { CdcError, errorMessage } from '../errors.ts';
import { isTransient, needsOperator, reasonOf } from '../failure.ts';
import type { WaitRecorder } from '../metrics/wait-clock.ts';
import { retrying, type Backoff, type WaitContext } from '../waiting.ts';
import type { BreakerState } from './sink-metrics.ts';
import type { Sink, SinkEvent, WriteOutcome } from './sink.ts';

export interface BatchWriterOptions {
  readonly sink: Sink;
  /** At most this many `write` calls per second; default unlimited. */
  readonly writesPerSecond?: number;
  /** Told how long writes wait for `writesPerSecond` (cdc_sink_rate_limit_wait_seconds_total). */
  readonly rateLimitWaits?: WaitRecorder;
  /** The breaker opens after this many consecutive failed writes and tries again after `resetMs`. */
  readonly breaker?: { readonly failures?: number; readonly resetMs?: number };
  readonly backoff: Backoff;
  readonly wait: WaitContext;
  readonly onBreaker: (state: BreakerState) => void;
}

/** What the batch's partition says about itself while its write is retried. */
export interface BatchLease {
  isRunning(): boolean;
  isStale(): boolean;
}

/**
 * Writes batches to the sink: one `write` per attempt, retried with jittered back-off for as
 * long as the failure is transient and the partition is ours, through a
 * rate limit and a circuit breaker. A batch the target refuses outright is written event by
 * event, so that only the events it refuses fail. A failure only an operator can fix is thrown.
 */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  readonly #breaker: CircuitBreaker<[readonly SinkEvent[]], WriteOutcome[]>;
  /** The last real failure: while the breaker is open, its refusals say what opened it. */
  #lastFailure: string | undefined;

  constructor(options: BatchWriterOptions) {
    this.#options = options;
    const write = (events: readonly SinkEvent[]) => options.sink.write(events);
    const limited = options.writesPerSecond
      ? throttled(write, options.writesPerSecond, options.rateLimitWaits)
      : write;
    this.#breaker = new CircuitBreaker(limited, {
      timeout: false, // a slow target is not a failed one: the sink's own client timeouts decide
      resetTimeout: options.breaker?.resetMs ?? 10_000,
      rollingCountTimeout: 60_000,
      volumeThreshold: options.breaker?.failures ?? 5,
      errorThresholdPercentage: 100,
      // A refused batch says nothing about the target's health.
      errorFilter: (error: unknown) => !isTransient(error),
    });
    this.#breaker.on('open', () => options.onBreaker('open'));
    this.#breaker.on('halfOpen', () => options.onBreaker('half-open'));
    this.#breaker.on('close', () => options.onBreaker('closed'));
  }

  async write(events: readonly SinkEvent[], lease: BatchLease): Promise<WriteOutcome[]> {
    if (events.length === 0) return [];
    try {
      return await this.#attempts(events, lease);
    } catch (error) {
      if (isTransient(error) || needsOperator(error) || events.length === 1) throw error;
    }
    const outcomes: WriteOutcome[] = [];
    for (const event of events) {
      try {
        outcomes.push(...(await this.#attempts([event], lease)));
      } catch (error) {
        if (isTransient(error) || needsOperator(error)) throw error;
        outcomes.push({ kind: 'failed', reason: errorMessage(error) });
      }
    }
    return outcomes;
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }

  #attempts(events: readonly SinkEvent[], lease: BatchLease): Promise<WriteOutcome[]> {
    return retrying(() => this.#attempt(events), {
      ...this.#options.wait,
      backoff: this.#options.backoff,
      dependency: () => 'target',
      giveUp: () =>
        !lease.isRunning() || lease.isStale() ? 'the partition was revoked or the sink stops' : undefined,
    });
  }

  async #attempt(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await this.#breaker.fire(events);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        throw new CdcError(
          'SINK_CIRCUIT_OPEN',
          `${this.#lastFailure ?? 'the target keeps failing'} (circuit open: writes paused)`,
          { retriable: true, cause: error },
        );
      }
      if (isTransient(error)) this.#lastFailure = reasonOf(error);
      throw error;
    }
    if (outcomes.length !== events.length) {
      throw new CdcError(
        'SINK_CONTRACT',
        `sink ${this.#options.sink.name} returned ${outcomes.length} outcomes for ${events.length} events`,
      );
    }
    return outcomes;
  }
}

/** `write` at most `perSecond` times a second (p-throttle), the time a call waits for its turn told to `waits`. */
function throttled(
  write: (events: readonly SinkEvent[]) => Promise<WriteOutcome[]>,
  perSecond: number,
  waits: WaitRecorder | undefined,
): (events: readonly SinkEvent[]) => Promise<WriteOutcome[]> {
  const turn = pThrottle({ limit: perSecond, interval: 1000 })((
    events: readonly SinkEvent[],
    waited: () => void,
  ) => {
    waited();
    return write(events);
  });
  if (!waits) return (events) => turn(events, () => undefined);
  return (events) => {
    const end = waits.begin();
    let ended = false;
    const waited = () => {
      if (ended) return;
      ended = true;
      end();
    };
    // Ended at its turn; `finally` only for a call that never gets one (a throttle that is aborted).
    return turn(events, waited).finally(waited);
  };
}
