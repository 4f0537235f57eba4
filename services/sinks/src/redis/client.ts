import { Redis } from 'ioredis';
import { STACK_ENV_DEFAULTS } from '@cdc/core';

/** The sink's URL: configured, else REDIS_URL (contracts.md), else the local stack's. */
export function sinkUrl(configured: string | undefined, env: Record<string, string | undefined>): string {
  return configured ?? env.REDIS_URL ?? STACK_ENV_DEFAULTS.REDIS_URL;
}

/**
 * A client that gives up on a batch within seconds while Redis is away (a refused connection
 * after two quick retries, an unanswered one after its connect timeouts, a silent server after
 * the command timeout) instead of queueing it forever: the runtime retries with back-off.
 */
export function createClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 2_000,
    commandTimeout: 8_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
