import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { codeOf, isTransient, reasonOf, type ErrorCode } from '@cdc/core';

/** A connection of the source that streams until it is stopped or fails. */
export interface Session {
  /** Settles when the session has ended and released everything: resolves after stop(), rejects with the failure. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** A transient failure being waited out, as /status shows it. */
export interface Outage {
  /** The failure, in the pipeline file's words. */
  readonly reason: string;
  /** Its error code (docs/error-codes.md), if it has one. */
  readonly code: ErrorCode | undefined;
  /** The attempt under way or waited for: 1 is the first after the failure (or the first start). */
  readonly attempt: number;
  /** When the outage began (ms since the epoch). */
  readonly sinceMs: number;
  /** When the next attempt starts (ms since the epoch); undefined while one is under way. */
  readonly retryAtMs: number | undefined;
}

export type ReconnectEvent =
  /** A session that was streaming failed: the first attempt to reconnect starts at once. */
  | { readonly kind: 'interrupted'; readonly error: unknown; readonly outage: Outage }
  /** An attempt failed; the next starts at outage.retryAtMs. */
  | { readonly kind: 'retrying'; readonly error: unknown; readonly outage: Outage }
  /** A session streams; `after` is the outage it ends, if there was one. */
  | { readonly kind: 'connected'; readonly after: Outage | undefined };

export interface Backoff {
  /** The first delay; each next one doubles, times a random 1-2 (jitter), up to maxMs. */
  readonly minMs: number;
  readonly maxMs: number;
}

export const SOURCE_BACKOFF: Backoff = { minMs: 500, maxMs: 30_000 };

export interface ReconnectLoopOptions<S extends Session> {
  /**
   * One attempt: connect, check and prepare, and start a session; undefined when there is
   * nothing to stream. It should give up early once `signal` is aborted (stop()); whatever it
   * holds when it fails must be released before it rejects.
   */
  readonly connect: (signal: AbortSignal) => Promise<S | undefined>;
  /** The failure as the service acts on it (failures.ts): transient ones are waited out, others end the loop. */
  readonly classify: (error: unknown) => unknown;
  readonly onEvent?: (event: ReconnectEvent) => void;
  readonly backoff?: Backoff;
  /**
   * A session that fails sooner than this after it started counts as one more failed attempt
   * of the outage before it, so that one that fails at once is retried with growing delays, not
   * at full speed. Default: 10 s.
   */
  readonly stableMs?: number;
}

/**
 * Keeps the source streaming through transient failures, in process: each failure starts an
 * outage, waited out with jittered exponential back-off (p-retry) until an attempt streams
 * again. Everything else ends it. A state machine of its own, so that it can be tested with fake
 * sessions: connecting -> streaming -> (failed: interrupted -> connecting ...) -> stopped.
 */
export class ReconnectLoop<S extends Session> {
  readonly #options: ReconnectLoopOptions<S>;
  readonly #abort = new AbortController();
  #session: S | undefined;
  #outage: Outage | undefined;

  constructor(options: ReconnectLoopOptions<S>) {
    this.#options = options;
  }

  /** The outage under way, if any. */
  get outage(): Outage | undefined {
    return this.#outage;
  }

  /** The session that streams, if one does. */
  get session(): S | undefined {
    return this.#session;
  }

  /**
   * Resolves 'stopped' after stop(), 'finished' when there was nothing to stream; rejects with
   * the classified failure that no waiting can cure.
   */
  async run(): Promise<'stopped' | 'finished'> {
    const { signal } = this.#abort;
    for (;;) {
      let session: S | undefined;
      try {
        session = await this.#connectUntilStable();
      } catch (error) {
        if (signal.aborted) return 'stopped';
        throw error;
      }
      if (!session) return 'finished';
      try {
        await session.done;
        return 'stopped';
      } catch (error) {
        this.#session = undefined;
        if (signal.aborted) return 'stopped';
        const failure = this.#options.classify(error);
        if (!isTransient(failure)) throw failure;
        this.#outage = {
          reason: reasonOf(failure),
          code: codeOf(failure),
          attempt: 1,
          sinceMs: Date.now(),
          retryAtMs: undefined,
        };
        this.#options.onEvent?.({ kind: 'interrupted', error: failure, outage: this.#outage });
      }
    }
  }

  /** Ends the wait or the session under way; run() then resolves 'stopped'. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('the source is stopping'));
    await this.#session?.stop();
  }

  /** Attempts until a session has streamed for stableMs (or was stopped meanwhile). */
  async #connectUntilStable(): Promise<S | undefined> {
    const { signal } = this.#abort;
    const backoff = this.#options.backoff ?? SOURCE_BACKOFF;
    return pRetry(
      async () => {
        if (this.#outage) this.#outage = { ...this.#outage, retryAtMs: undefined };
        let session: S | undefined;
        try {
          session = await this.#options.connect(signal);
        } catch (error) {
          throw this.#options.classify(error);
        }
        if (!session) return undefined;
        if (signal.aborted) {
          await session.stop();
          return session;
        }
        this.#session = session;
        const after = this.#outage;
        this.#outage = undefined;
        this.#options.onEvent?.({ kind: 'connected', after });
        try {
          await settledWithin(session.done, this.#options.stableMs ?? 10_000, signal);
        } catch (error) {
          this.#session = undefined;
          if (signal.aborted) {
            await session.stop();
            return session;
          }
          // Failed before it was stable: one more attempt of the same outage.
          this.#outage = after ?? {
            reason: '',
            code: undefined,
            attempt: 1,
            sinceMs: Date.now(),
            retryAtMs: undefined,
          };
          throw this.#options.classify(error);
        }
        return session;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: backoff.minMs,
        maxTimeout: backoff.maxMs,
        randomize: true,
        signal,
        shouldRetry: ({ error, retryDelay }) => {
          if (!isTransient(error)) return false;
          const previous = this.#outage;
          this.#outage = {
            reason: reasonOf(error),
            code: codeOf(error),
            attempt: (previous?.attempt ?? 1) + 1,
            sinceMs: previous?.sinceMs ?? Date.now(),
            retryAtMs: Date.now() + retryDelay,
          };
          this.#options.onEvent?.({ kind: 'retrying', error, outage: this.#outage });
          return true;
        },
      },
    );
  }
}

/** Waits until `done` settles or `ms` pass, whichever comes first; rejects if `done` does (or on abort). */
async function settledWithin(done: Promise<void>, ms: number, signal: AbortSignal): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([done, sleep(ms, undefined, { signal: AbortSignal.any([signal, timer.signal]) })]);
  } finally {
    timer.abort(); // no timer outlives the wait
  }
}
