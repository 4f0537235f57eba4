import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CdcError, verifyRows, type SinkEvent, type SinkRow } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import { createRedisSink, type RedisSink, type RedisSinkInput } from '../src/redis/index.ts';
import { event, sinkConformance, type SinkOptionsUnderTest, type SinkUnderTest } from './conformance.ts';

const iso = isolate('redis-sink');
const admin = new Redis(iso.env.REDIS_URL);
afterAll(() => admin.quit());

let counter = 0;
const prefix = () => iso.redisKey(`s${++counter}`);

/** The conformance table's column types, to turn what Redis holds (text) back into values. */
const FIELD_TYPES: Readonly<Record<string, 'bigint' | 'int' | 'text'>> = {
  id: 'bigint',
  visits: 'int',
  name: 'text',
  email: 'text',
  notes: 'text',
};

function typed(name: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (FIELD_TYPES[name]) {
    case 'bigint':
      return BigInt(value as string | number);
    case 'int':
      return Number(value);
    default:
      return value;
  }
}

function typedRow(fields: Record<string, unknown>): SinkRow {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, typed(name, value)]));
}

function config(format: 'hash' | 'json', key: string, options: SinkOptionsUnderTest = {}): RedisSinkInput {
  return {
    kind: 'redis',
    name: `redis-${format}-${counter}`,
    topics: ['cdc.public.patients'],
    url: iso.env.REDIS_URL,
    key: `${key}:patient:{id}`,
    format,
    delete_retention_ms: options.deleteRetentionMs ?? 600_000,
    conflict: {
      policy: options.policy ?? 'source_wins',
      ...(options.timestampField ? { timestamp_field: options.timestampField } : {}),
    },
  };
}

function target(format: 'hash' | 'json'): SinkUnderTest {
  return {
    async make(options) {
      const key = prefix();
      const sink = createRedisSink(config(format, key, options));
      await sink.start();
      const keyOf = (id: bigint) => `${key}:patient:${id}`;
      return {
        sink,
        async read(id) {
          if (format === 'hash') {
            const fields = await admin.hgetall(keyOf(id));
            return Object.keys(fields).length === 0 ? null : typedRow(fields);
          }
          const document = await admin.get(keyOf(id));
          return document === null ? null : typedRow(JSON.parse(document) as Record<string, unknown>);
        },
        async editDirectly(id, changes) {
          if (format === 'hash') {
            await admin.hset(
              keyOf(id),
              Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, String(v)])),
            );
            return;
          }
          const document = JSON.parse((await admin.get(keyOf(id))) ?? '{}') as Record<string, unknown>;
          await admin.set(keyOf(id), JSON.stringify({ ...document, ...changes }), 'KEEPTTL');
        },
        async exists(id) {
          return (await admin.exists(keyOf(id), `${keyOf(id)}:cdc`)) > 0;
        },
        close: () => sink.close(),
      };
    },
  };
}

sinkConformance('redis', 'hash', target('hash'));
sinkConformance('redis', 'json', target('json'));

/** A client that counts round trips: each pipeline is one, each lone command one. */
function countingClient(): { redis: Redis; roundTrips: () => number } {
  const redis = new Redis(iso.env.REDIS_URL);
  const streams = new Set<unknown>();
  let single = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    if ((stream as { isPipeline?: boolean } | undefined)?.isPipeline) streams.add(stream);
    else single += 1;
    return send(command, stream);
  };
  return { redis, roundTrips: () => streams.size + single };
}

async function started(input: RedisSinkInput, redis?: Redis): Promise<RedisSink> {
  const sink = createRedisSink(input, redis ? { redis } : {});
  await sink.start();
  return sink;
}

const upserts = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) =>
    event('c', from + i, { name: `patient ${from + i}`, email: `p${from + i}@example.org`, visits: i }),
  );

describe('redis sink', () => {
  for (const format of ['hash', 'json'] as const) {
    it(`${format}: writes a batch in one read and one write round trip`, async () => {
      const { redis, roundTrips } = countingClient();
      const sink = await started(config(format, prefix()), redis);
      try {
        const before = roundTrips();
        const batch = upserts(1000);
        const startedAt = performance.now();
        const outcomes = await sink.write(batch);
        const ms = performance.now() - startedAt;
        expect(outcomes.every((o) => o.kind === 'written')).toBe(true);
        expect(roundTrips() - before).toBe(2);
        console.log(
          `redis ${format}: 1000 upserts in ${ms.toFixed(1)} ms = ${Math.round(1e6 / ms)} events/s`,
        );

        const again = roundTrips();
        const replay = await sink.write(batch);
        expect(replay.every((o) => o.kind === 'stale')).toBe(true);
        expect(roundTrips() - again).toBe(1); // decided stale from the read: nothing to write
      } finally {
        await sink.close();
        await redis.quit();
      }
    });
  }

  it('measures a pipelined batch of 1000 upserts (several runs, printed)', async () => {
    for (const format of ['hash', 'json'] as const) {
      const sink = await started(config(format, prefix()));
      try {
        const rates: number[] = [];
        for (let run = 0; run < 5; run++) {
          const batch = upserts(1000, run * 1000);
          const startedAt = performance.now();
          await sink.write(batch);
          rates.push(1e6 / (performance.now() - startedAt));
        }
        const sorted = rates.sort((a, b) => a - b);
        console.log(
          `redis ${format}: 1000-upsert batches, median ${Math.round(sorted[2] as number)} events/s ` +
            `(runs: ${sorted.map((r) => Math.round(r)).join(', ')})`,
        );
      } finally {
        await sink.close();
      }
    }
  });

  it('stores values as text in hashes and keeps bigints exact in JSON', async () => {
    const big = 2n ** 60n + 1n;
    const row = {
      id: 7n,
      big,
      small: 42n,
      ratio: 1.5,
      ok: true,
      bytes: Buffer.from('hi'),
      tags: ['a', 1n],
      nothing: null,
    };
    const insert: SinkEvent = { ...event('c', 7), after: row, key: { id: 7n } };
    const hashKey = prefix();
    const hash = await started(config('hash', hashKey));
    const jsonKey = prefix();
    const json = await started(config('json', jsonKey));
    try {
      await hash.write([insert]);
      expect(await admin.hgetall(`${hashKey}:patient:7`)).toEqual({
        id: '7',
        big: big.toString(),
        small: '42',
        ratio: '1.5',
        ok: 'true',
        bytes: Buffer.from('hi').toString('base64'),
        tags: '["a","1"]',
      });
      await json.write([insert]);
      expect(JSON.parse((await admin.get(`${jsonKey}:patient:7`)) as string)).toEqual({
        id: 7,
        big: big.toString(),
        small: 42,
        ratio: 1.5,
        ok: true,
        bytes: Buffer.from('hi').toString('base64'),
        tags: ['a', 1],
        nothing: null,
      });
    } finally {
      await hash.close();
      await json.close();
    }
  });

  it('keeps the bookkeeping beside the record: version, field digests, delete marker', async () => {
    const key = prefix();
    const sink = await started({ ...config('hash', key), delete_retention_ms: 60_000 });
    try {
      const insert = event('c', 1, { name: 'Ada' });
      await sink.write([insert]);
      const book = await admin.hgetall(`${key}:patient:1:cdc`);
      expect(book.v).toBe(`${insert.version.commitLsn.toString(16).padStart(16, '0')}/${'0'.repeat(16)}`);
      expect(Object.keys(book).sort()).toEqual(['f:id', 'f:name', 'v']);
      expect(await admin.pttl(`${key}:patient:1:cdc`)).toBe(-1);

      await sink.write([event('d', 1)]);
      expect(await admin.exists(`${key}:patient:1`)).toBe(0);
      expect(await admin.hgetall(`${key}:patient:1:cdc`)).toMatchObject({ d: '1' });
      const ttl = await admin.pttl(`${key}:patient:1:cdc`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);

      // Re-inserted: the marker becomes live bookkeeping again, without expiry.
      await sink.write([event('c', 1, { name: 'Ada again' })]);
      expect(await admin.pttl(`${key}:patient:1:cdc`)).toBe(-1);
      expect(await admin.hget(`${key}:patient:1`, 'name')).toBe('Ada again');
    } finally {
      await sink.close();
    }
  });

  it('applies ttl_seconds to rows; the version outlives the row by the delete retention', async () => {
    const key = prefix();
    const sink = await started({ ...config('hash', key), ttl_seconds: 100, delete_retention_ms: 5_000 });
    try {
      await sink.write([event('c', 1, { name: 'Ada' })]);
      const rowTtl = await admin.pttl(`${key}:patient:1`);
      expect(rowTtl).toBeGreaterThan(95_000);
      expect(rowTtl).toBeLessThanOrEqual(100_000);
      const bookTtl = await admin.pttl(`${key}:patient:1:cdc`);
      expect(bookTtl).toBeGreaterThan(100_000);
      expect(bookTtl).toBeLessThanOrEqual(105_000);

      // An expired row is no conflict: the next update simply writes it again.
      await admin.del(`${key}:patient:1`);
      const outcomes = await sink.write([event('u', 1, { name: 'Ada L.' })]);
      expect(outcomes).toEqual([{ kind: 'written' }]);
      expect(await admin.hget(`${key}:patient:1`, 'name')).toBe('Ada L.');
    } finally {
      await sink.close();
    }
  });

  it('ends with the newest version when two sinks write interleaved versions at once', async () => {
    for (const format of ['hash', 'json'] as const) {
      const key = prefix();
      const first = await started(config(format, key));
      const second = await started(config(format, key));
      try {
        const ids = Array.from({ length: 50 }, (_, i) => i);
        // Versions 1..40 per row; each sink gets every other one, in batches that overlap in time.
        const versions = Array.from({ length: 40 }, (_, v) =>
          ids.map((id) => event('u', id, { name: `v${v}`, visits: v })),
        );
        const mine = (parity: number) => versions.filter((_, v) => v % 2 === parity);
        const run = async (sink: RedisSink, batches: SinkEvent[][]) => {
          for (const batch of batches) await sink.write(batch);
        };
        // Reversed order for one writer: the newest versions race the oldest.
        await Promise.all([run(first, mine(0)), run(second, mine(1).reverse())]);
        for (const id of ids) {
          const stored =
            format === 'hash'
              ? await admin.hget(`${key}:patient:${id}`, 'name')
              : (JSON.parse((await admin.get(`${key}:patient:${id}`)) as string) as { name: string }).name;
          expect(stored).toBe('v39');
        }
      } finally {
        await first.close();
        await second.close();
      }
    }
  });

  it('refuses a write whose record changed between its read and its write, then decides again', async () => {
    const key = prefix();
    const { redis } = countingClient();
    const sink = await started({ ...config('hash', key), conflict: { policy: 'target_wins' } }, redis);
    try {
      await sink.write([event('c', 1, { name: 'Ada', email: 'a@example.org' })]);
      // A person edits the row right after the sink's read: the write must notice, not overwrite.
      const pipeline = redis.pipeline.bind(redis);
      let edited = false;
      redis.pipeline = (...args: Parameters<typeof redis.pipeline>) => {
        const p = pipeline(...args);
        const exec = p.exec.bind(p);
        p.exec = async (...rest: Parameters<typeof p.exec>) => {
          const results = await exec(...rest);
          if (!edited) {
            edited = true;
            await admin.hset(`${key}:patient:1`, 'email', 'edited@clinic.example');
          }
          return results;
        };
        return p;
      };
      const [outcome] = await sink.write([event('u', 1, { name: 'Ada', email: 'new@example.org' })]);
      expect(outcome).toMatchObject({ kind: 'skipped', conflict: { changedFields: ['email'] } });
      expect(await admin.hget(`${key}:patient:1`, 'email')).toBe('edited@clinic.example');
    } finally {
      await sink.close();
      await redis.quit();
    }
  });

  it('fails only the event whose key Redis refuses (WRONGTYPE) and truncates', async () => {
    const key = prefix();
    const sink = await started(config('hash', key));
    try {
      await admin.set(`${key}:patient:2`, 'not a hash');
      const truncate: SinkEvent = { ...event('c', 0), op: 't', key: {}, after: null };
      const outcomes = await sink.write([
        event('c', 1, { name: 'a' }),
        event('c', 2, { name: 'b' }),
        truncate,
      ]);
      expect(outcomes[0]).toEqual({ kind: 'written' });
      const reasons = outcomes.map((o) => (o.kind === 'failed' ? o.reason : o.kind));
      expect(reasons[1]).toContain('WRONGTYPE');
      expect(reasons[2]).toContain('truncate is not supported by the Redis sink');
    } finally {
      await sink.close();
    }
  });

  it('lists its live records for verify, matching the source rows it wrote', async () => {
    for (const format of ['hash', 'json'] as const) {
      const sink = await started(config(format, prefix()));
      try {
        const rows = upserts(30);
        await sink.write([...rows, event('d', 3)]);
        const table = { schema: 'public', name: 'patients' };
        async function* source() {
          for (const e of rows) if (e.key.id !== 3n) yield { key: e.key, row: e.after as SinkRow };
        }
        const report = await verifyRows(source(), sink, table);
        expect(report).toMatchObject({ sourceRows: 29, sinkRows: 29, differences: 0 });
        async function* changed() {
          yield* source();
          yield { key: { id: 99n }, row: { id: 99n, name: 'missing' } };
        }
        expect((await verifyRows(changed(), sink, table)).missing).toEqual(['id=99']);
      } finally {
        await sink.close();
      }
    }
  });

  it('reloads its script after SCRIPT FLUSH', async () => {
    const key = prefix();
    const { redis } = countingClient();
    const sink = await started(config('json', key), redis);
    try {
      await redis.script('FLUSH');
      expect(await sink.write([event('c', 1, { name: 'Ada' })])).toEqual([{ kind: 'written' }]);
    } finally {
      await sink.close();
      await redis.quit();
    }
  });

  it('throws a retriable CdcError within seconds when Redis is unreachable', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sink = createRedisSink({ ...config('hash', prefix()), url: `redis://127.0.0.1:${port}` });
    try {
      const startedAt = Date.now();
      const error = await sink.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CdcError);
      expect(error).toMatchObject({ retriable: true });
      const writeError = await sink.write([event('c', 1, { name: 'Ada' })]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(writeError).toBeInstanceOf(CdcError);
      expect(writeError).toMatchObject({ retriable: true });
      expect(Date.now() - startedAt).toBeLessThan(15_000);
    } finally {
      await sink.close();
    }
  });
});
