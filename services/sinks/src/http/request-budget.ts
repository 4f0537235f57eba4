import type { WaitRecorder } from '@cdc/core';

/** A target's documented request rate: so many per second on average, `burst` at once. */
export interface RequestBudgetOptions {
  /** Average requests per second; Infinity for no limit (Retry-After pauses still apply). */
  readonly requestsPerSecond: number;
  /** Requests that may go at once after a quiet spell (the bucket's size). */
  readonly burst: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * The request budget of one target, as a token bucket: `burst` tokens, refilled at
 * `requestsPerSecond`; each request takes one, in the order they asked (p-throttle's windows give
 * no burst-then-rate and no pause). `pauseUntil` holds every request back, since a 429 or 503
 * with Retry-After speaks for the whole target, not for the one request that got it.
 */
export class RequestBudget {
  readonly requestsPerSecond: number;
  readonly burst: number;
  #tokens: number;
  #refilledAt = performance.now();
  #pausedUntil = 0;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #waits: WaitRecorder | undefined;

  /** `waits` is told how long requests wait for their turn (the sink's rate-limit wait metric). */
  constructor(options: RequestBudgetOptions, waits?: WaitRecorder) {
    if (!(options.requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be more than 0');
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new RangeError('burst must be a whole number of at least 1');
    }
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = options.burst;
    this.#tokens = options.burst;
    this.#waits = waits;
  }

  /** No limit but Retry-After pauses: the budget of a target that documents none. */
  static unlimited(waits?: WaitRecorder): RequestBudget {
    return new RequestBudget({ requestsPerSecond: Number.POSITIVE_INFINITY, burst: 1 }, waits);
  }

  /** Resolves when a request may go; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#queue.length === 0 && this.#tryTake()) return Promise.resolve();
    const waited = this.#waits?.begin();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          waited?.();
          resolve();
        },
        reject,
        signal,
        onAbort: () => {
          waited?.();
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          reject(signal?.reason as Error);
          this.#schedule();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /**
   * No request goes before `epochMs` (ms since the epoch); a later pause extends, an earlier one
   * does not shorten. The bucket is emptied too: a refusal says the target's own bucket is empty,
   * so after the pause requests go at the rate, not in a burst the target would refuse again
   * (bench:sinks saw a Calendar sink whose budget equalled the quota stall on a refusal per burst).
   */
  pauseUntil(epochMs: number): void {
    if (!(epochMs > this.#pausedUntil)) return;
    this.#pausedUntil = epochMs;
    this.#tokens = 0;
    this.#refilledAt = performance.now() + Math.max(0, epochMs - Date.now());
    this.#schedule();
  }

  /** Until when requests are held back (ms since the epoch), if they are. */
  get pausedUntil(): number | undefined {
    return this.#pausedUntil > Date.now() ? this.#pausedUntil : undefined;
  }

  /** Requests waiting for their turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  #tryTake(): boolean {
    if (Date.now() < this.#pausedUntil) return false;
    if (this.requestsPerSecond === Number.POSITIVE_INFINITY) return true;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #refill(): void {
    const now = performance.now();
    if (now <= this.#refilledAt) return; // paused: the bucket fills again from the pause's end
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((now - this.#refilledAt) * this.requestsPerSecond) / 1000,
    );
    this.#refilledAt = now;
  }

  #release = (): void => {
    this.#timer = undefined;
    while (this.#queue.length > 0 && this.#tryTake()) {
      const waiter = this.#queue.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  };

  // One timer, for when the first waiter may go; the waiter re-checks then, since timers may fire early.
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    let delay = this.#pausedUntil - Date.now();
    if (this.requestsPerSecond !== Number.POSITIVE_INFINITY) {
      this.#refill();
      delay = Math.max(delay, ((1 - this.#tokens) * 1000) / this.requestsPerSecond);
    }
    this.#timer = setTimeout(this.#release, Math.max(1, Math.ceil(delay)));
  }
}
