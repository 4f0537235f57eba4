import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';

const iso = isolate('redis');
const redis = new Redis(iso.env.REDIS_URL);

afterAll(() => redis.disconnect());

// The version guard the Redis sink will rely on: write only when the incoming version is newer.
const SET_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'value', ARGV[2])
return 1`;

describe('Redis', () => {
  it('round-trips values with the official client', async () => {
    const key = iso.redisKey('greeting');
    await redis.set(key, 'héllo 🩺');
    expect(await redis.get(key)).toBe('héllo 🩺');
  });

  it('runs Lua scripts atomically, so a stale version never overwrites a newer one', async () => {
    const key = iso.redisKey('patient:1');
    expect(await redis.eval(SET_IF_NEWER, 1, key, '20', 'new')).toBe(1);
    expect(await redis.eval(SET_IF_NEWER, 1, key, '10', 'stale')).toBe(0);
    expect(await redis.eval(SET_IF_NEWER, 1, key, '20', 'replay')).toBe(0);
    expect(await redis.hgetall(key)).toEqual({ version: '20', value: 'new' });
  });

  it('keeps an append-only file, so sink state survives a restart', async () => {
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  });
});
