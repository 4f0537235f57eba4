import { createClient } from './client.ts';
import type { SinkKind } from '../sink-kind.ts';
import { REDIS_SUPPORTS, redisSinkSchema } from './config.ts';
import { RedisSink } from './redis-sink.ts';

/** Redis in the registry of sink kinds (kinds.ts). */
export const redisKind = {
  kind: 'redis',
  title: 'Redis',
  entry: redisSinkSchema,
  supports: REDIS_SUPPORTS,
  defaultTarget: 'redis',
  verifiable: true,
  create: (entry, context) => new RedisSink({ ...entry, url: context.url }, { setting: context.urlSetting }),
  namespace: {
    // Records go under `<namespace>:`; an entry without a key template keeps its default keys.
    place: (entry, namespace) =>
      typeof entry.key === 'string' ? { ...entry, key: `${namespace}:${entry.key}` } : { ...entry },
    clean: async (url, namespace) => {
      const redis = createClient(url);
      redis.on('error', () => undefined); // a failure reaches us through the commands
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  },
} as const satisfies SinkKind<typeof redisSinkSchema>;
