import { Redis } from 'ioredis';
import { describeEndpoint, readStackEnv } from '@cdc/core';

/** The sink's URL: configured, else REDIS_URL, else the local stack's (core's stack-env.ts decides). */
export function sinkUrl(configured: string | undefined, env: Record<string, string | undefined>): string {
  return configured ?? readStackEnv(env).REDIS_URL;
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

/**
 * The Redis server a sink writes to, as messages name it, and why its client last failed to
 * connect: ioredis reports that only as an event, and then fails the queued commands with a
 * message about its own retry setting, which says nothing to an operator.
 */
export class RedisTarget {
  /** E.g. "Redis (sinks[0].url, or REDIS_URL) at redis://127.0.0.1:6379", password hidden. */
  readonly name: string;
  #connectionError: unknown;

  constructor(url: string, setting: string | undefined, client: Redis) {
    this.name = describeEndpoint('Redis', url, setting);
    client.on('error', (error: unknown) => {
      this.#connectionError = error;
    });
    client.on('ready', () => {
      this.#connectionError = undefined;
    });
  }

  /** The error of the last failed connection attempt, until the client is ready again. */
  get connectionError(): unknown {
    return this.#connectionError;
  }

  toString(): string {
    return this.name;
  }
}
