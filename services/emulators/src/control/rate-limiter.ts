/**
 * Per-principal token buckets: `perSecond` tokens flow in each second up to `burst`; a request takes
 * one. An average rate with a burst allowance is how both Notion ("an average of three requests per
 * second ... some bursts beyond the average rate are allowed") and Google (per-user quotas) describe
 * their limits; a bucket is the simplest model of that.
 */
export interface RateSetting {
  readonly perSecond: number;
  readonly burst: number;
  /** API-specific status to answer with (Calendar: 403 or 429); undefined means the API's default. */
  readonly status?: number;
}

interface Bucket {
  readonly setting: RateSetting;
  tokens: number;
  at: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly status?: number };

export class RateLimiter {
  readonly #defaultSetting: RateSetting | null;
  /** null = the principal's limit was lifted; absent = the default applies. */
  readonly #settings = new Map<string, RateSetting | null>();
  readonly #buckets = new Map<string, Bucket>();

  constructor(defaultSetting: RateSetting | null) {
    this.#defaultSetting = defaultSetting;
  }

  get defaultSetting(): RateSetting | null {
    return this.#defaultSetting;
  }

  /** `undefined` restores the default; `null` lifts the limit. A new setting starts with a full bucket. */
  set(principal: string, setting: RateSetting | null | undefined): void {
    if (setting === undefined) this.#settings.delete(principal);
    else this.#settings.set(principal, setting);
    this.#buckets.delete(principal);
  }

  settingOf(principal: string): RateSetting | null {
    const own = this.#settings.get(principal);
    return own === undefined ? this.#defaultSetting : own;
  }

  take(principal: string, now = Date.now()): RateDecision {
    const setting = this.settingOf(principal);
    if (!setting) return { allowed: true };
    let bucket = this.#buckets.get(principal);
    if (!bucket) {
      bucket = { setting, tokens: setting.burst, at: now };
      this.#buckets.set(principal, bucket);
    }
    bucket.tokens = Math.min(setting.burst, bucket.tokens + ((now - bucket.at) / 1000) * setting.perSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    // Whole seconds: Retry-After (RFC 9110 section 10.2.3) takes an integer number of seconds.
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / setting.perSecond));
    return {
      allowed: false,
      retryAfterSeconds,
      ...(setting.status !== undefined ? { status: setting.status } : {}),
    };
  }
}
