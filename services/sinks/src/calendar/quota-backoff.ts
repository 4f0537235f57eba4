/**
 * How long every request waits after a rate-limit answer. Google rarely sends Retry-After with
 * Calendar's 403/429 and asks for exponential back-off
 * (https://developers.google.com/workspace/calendar/api/guides/errors#exponential-backoff):
 * 1 s, then doubling up to 32 s while answers keep saying so, each with up to 20% jitter so that
 * several sinks of one project do not come back at once; the first answer that is not a rate
 * limit starts over.
 */
export class QuotaBackoff {
  static readonly FIRST_MS = 1000;
  static readonly MAX_MS = 32_000;
  #nextMs = QuotaBackoff.FIRST_MS;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The pause for this rate-limit answer; `retryAfterMs` (the answer's own) wins when given. */
  next(retryAfterMs?: number): number {
    const base = this.#nextMs;
    this.#nextMs = Math.min(base * 2, QuotaBackoff.MAX_MS);
    if (retryAfterMs !== undefined) return retryAfterMs;
    return Math.round(base * (1 + 0.2 * this.#random()));
  }

  reset(): void {
    this.#nextMs = QuotaBackoff.FIRST_MS;
  }
}
