import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { needsOperator } from '@cdc/core';
import { RedisTarget } from './client.ts';
import { isRefusal, unavailable } from './errors.ts';

/** A target whose client has reported `error` as its last connection failure (or none). */
function target(error?: unknown): RedisTarget {
  const client = new EventEmitter();
  const redisTarget = new RedisTarget(
    'redis://:secret@127.0.0.1:6379',
    'sinks[0].url',
    client as unknown as Redis,
  );
  if (error !== undefined) client.emit('error', error);
  return redisTarget;
}

const maxRetries = () => {
  const error = new Error(
    'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
  );
  error.name = 'MaxRetriesPerRequestError';
  return error;
};
/** A reply error as ioredis raises it (redis-errors' ReplyError). */
const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('Redis failures', () => {
  it('say why Redis is unreachable in the pipeline file’s words, never the client’s settings or the password', () => {
    const failure = unavailable(target(refused()), maxRetries());
    expect(failure).toMatchObject({ code: 'REDIS_UNAVAILABLE', retriable: true });
    expect(failure.message).toBe(
      'Redis (sinks[0].url) at redis://:***@127.0.0.1:6379 is unreachable: connection refused',
    );
    expect(unavailable(target(), maxRetries()).message).toBe(
      'Redis (sinks[0].url) at redis://:***@127.0.0.1:6379 is unreachable',
    );
    expect(unavailable(target(), reply('LOADING Redis is loading the dataset in memory')).message).toMatch(
      /is not ready: LOADING/,
    );
  });

  it('need an operator when Redis refuses the credentials or a command to this user', () => {
    const auth = unavailable(target(reply('WRONGPASS invalid username-password pair')), maxRetries());
    expect(needsOperator(auth)).toBe(true);
    expect(auth).toMatchObject({ code: 'REDIS_AUTH', retriable: true });
    expect(auth.fix).toContain('redis://<user>:<password>@host:port');
    const acl = reply("NOPERM this user has no permissions to run the 'evalsha' command");
    expect(isRefusal(acl)).toBe(false); // not a refused record: it would dead-letter every one
    expect(unavailable(target(), acl)).toMatchObject({ code: 'REDIS_PERMISSION' });
    expect(isRefusal(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(true);
  });
});
