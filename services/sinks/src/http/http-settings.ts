import { z } from 'zod';
import { MAPPING_ERROR } from '@cdc/core';
import type { RequestBudgetOptions } from './request-budget.ts';

/**
 * Settings every HTTP sink kind shares, for its entry of the pipeline file (snake_case keys).
 * Each kind passes the defaults its target documents: Notion's "average of three requests per
 * second", a webhook receiver's none.
 */

/** A target's documented request rate, as a kind states its defaults. */
export interface RequestRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** `requests: { per_second, burst }`: the request budget of the target (RequestBudget). */
export function requestsSetting(defaults: RequestRate) {
  return z
    .strictObject(
      {
        per_second: z
          .number({ error: 'must be a number of requests per second' })
          .positive('must be more than 0')
          .default(defaults.perSecond)
          .describe(`Average requests per second to the target (default ${defaults.perSecond})`),
        burst: z
          .int('must be a whole number of requests')
          .min(1, 'must be at least 1')
          .default(defaults.burst)
          .describe(`Requests that may go at once after a quiet spell (default ${defaults.burst})`),
      },
      MAPPING_ERROR,
    )
    .prefault({})
    .describe(
      'Request budget of the target, as it documents its rate limit; a 429 or 503 with Retry-After ' +
        'pauses every request to it until then',
    );
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** `timeout_ms`: how long one request may take before it counts as failed (and is retried). */
export const timeoutMsSetting = z
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100')
  .max(600_000, 'must be at most 600000 (10 minutes)')
  .default(DEFAULT_TIMEOUT_MS)
  .describe(
    `How long one request may take, its answer read in full, before it counts as failed and is retried (default ${DEFAULT_TIMEOUT_MS})`,
  );

export const DEFAULT_CONCURRENCY = 8;

/** `concurrency`: requests in flight at most (one per key at a time, always). */
export function concurrencySetting(defaultValue: number = DEFAULT_CONCURRENCY) {
  return z
    .int('must be a whole number of requests')
    .min(1, 'must be at least 1')
    .max(256, 'must be at most 256')
    .default(defaultValue)
    .describe(
      `Requests in flight at most; changes of one key are still sent one after the other, in order (default ${defaultValue})`,
    );
}

/** `url` of an HTTP target: http or https only. */
export const httpUrlSetting = z
  .url({ protocol: /^https?$/u, error: 'must be an http:// or https:// URL' })
  .describe('Address of the HTTP target');

/** The shared settings as one shape, to spread into a kind's own: `{ ...httpSettings({ requests: ... }), token }`. */
export function httpSettings(defaults: { readonly requests: RequestRate; readonly concurrency?: number }) {
  return {
    requests: requestsSetting(defaults.requests),
    timeout_ms: timeoutMsSetting,
    concurrency: concurrencySetting(defaults.concurrency),
  };
}

/** The budget `requests:` describes, as HttpTarget takes it. */
export function budgetOf(requests: {
  readonly per_second: number;
  readonly burst: number;
}): RequestBudgetOptions {
  return { requestsPerSecond: requests.per_second, burst: requests.burst };
}
