import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AvroRecord } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import type { Row } from '../src/row.ts';
import { TransformError, compileSteps, stepsSchema } from '../src/transform/index.ts';

const iso = isolate('enrich');
const redis = new Redis(iso.env.REDIS_URL);
const admin = new Redis(iso.env.REDIS_URL);

afterAll(() => {
  redis.disconnect();
  admin.disconnect();
});

// Counted on the client: the server's command statistics are shared with whatever else runs.
const counts = { pipelines: 0, lookups: 0 };
const originalPipeline = redis.pipeline.bind(redis);
redis.pipeline = (...args: Parameters<Redis['pipeline']>) => {
  counts.pipelines++;
  const pipeline = originalPipeline(...args);
  const hmget = pipeline.hmget.bind(pipeline);
  pipeline.hmget = ((...a: Parameters<typeof hmget>) => {
    counts.lookups++;
    return hmget(...a);
  }) as typeof pipeline.hmget;
  return pipeline;
};

function since<T>(fn: () => Promise<T>): Promise<{ pipelines: number; lookups: number; result: T }> {
  const before = { ...counts };
  return fn().then((result) => ({
    pipelines: counts.pipelines - before.pipelines,
    lookups: counts.lookups - before.lookups,
    result,
  }));
}

async function serverHmgetCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(/cmdstat_hmget:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

const input: AvroRecord = {
  type: 'record',
  name: 'Value',
  namespace: 'cdc.public.visits',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'facility_id', type: ['null', 'int'], default: null },
    { name: 'ward', type: ['null', 'string'], default: null },
  ],
};

const facilityKey = (id: number) => `${iso.redisKey('facility')}:${id}`;

function transformer(options: string) {
  const steps = stepsSchema.parse(
    parse(`
- enrich:
    lookup: redis
    key: '${iso.redisKey('facility')}:{facility_id}'
    fields: { facility_name: name, facility_city: city }
    ${options}
`),
  );
  const compiled = compileSteps(steps, { redis });
  return { compiled, bound: compiled.forSchema(input) };
}

const visit = (id: number, facility: number | null): Row => ({
  id: BigInt(id),
  facility_id: facility,
  ward: 'A',
});

beforeAll(async () => {
  const seed = admin.pipeline();
  for (let id = 1; id <= 20; id++) seed.hset(facilityKey(id), { name: `Facility ${id}`, city: `City ${id}` });
  await seed.exec();
});

describe('enrichment from Redis', () => {
  it('looks up the uncached keys of a batch in one round trip', async () => {
    const { compiled, bound } = transformer('');
    const batch = [visit(1, 1), visit(2, 2), visit(3, 1), visit(4, 3), visit(5, null)];
    const hmgetBefore = await serverHmgetCalls();
    const first = await since(() => compiled.prepare(batch));
    expect(first).toMatchObject({ pipelines: 1, lookups: 3 });
    expect(await serverHmgetCalls()).toBeGreaterThanOrEqual(hmgetBefore + 3);
    expect(batch.map((row) => bound.apply(row, []).row)).toEqual([
      { id: 1n, facility_id: 1, ward: 'A', facility_name: 'Facility 1', facility_city: 'City 1' },
      { id: 2n, facility_id: 2, ward: 'A', facility_name: 'Facility 2', facility_city: 'City 2' },
      { id: 3n, facility_id: 1, ward: 'A', facility_name: 'Facility 1', facility_city: 'City 1' },
      { id: 4n, facility_id: 3, ward: 'A', facility_name: 'Facility 3', facility_city: 'City 3' },
      { id: 5n, facility_id: null, ward: 'A', facility_name: null, facility_city: null },
    ]);

    // Cached keys cost nothing; a new one costs one round trip for itself alone.
    expect(await since(() => compiled.prepare(batch))).toMatchObject({ pipelines: 0, lookups: 0 });
    expect(await since(() => compiled.prepare([visit(6, 1), visit(7, 4)]))).toMatchObject({
      pipelines: 1,
      lookups: 1,
    });
    expect(bound.apply(visit(7, 4), []).row.facility_name).toBe('Facility 4');
  });

  it('reads again once entries expire', async () => {
    const { compiled, bound } = transformer('cache: { ttl_ms: 200 }');
    await compiled.prepare([visit(1, 5)]);
    await admin.hset(facilityKey(5), 'name', 'Facility 5 (renamed)');
    expect(await since(() => compiled.prepare([visit(1, 5)]))).toMatchObject({ pipelines: 0 });
    expect(bound.apply(visit(1, 5), []).row.facility_name).toBe('Facility 5');
    await sleep(300);
    expect(await since(() => compiled.prepare([visit(1, 5)]))).toMatchObject({ pipelines: 1, lookups: 1 });
    expect(bound.apply(visit(1, 5), []).row.facility_name).toBe('Facility 5 (renamed)');
  });

  it('keeps at most max_entries, dropping the least recently used', async () => {
    const { compiled, bound } = transformer('cache: { max_entries: 2 }');
    // A batch larger than the cache is still served whole: its lookups are pinned until the next batch.
    const big = [10, 11, 12, 13].map((id) => visit(id, id));
    expect(await since(() => compiled.prepare(big))).toMatchObject({ pipelines: 1, lookups: 4 });
    expect(big.map((row) => bound.apply(row, []).row.facility_name)).toEqual([
      'Facility 10',
      'Facility 11',
      'Facility 12',
      'Facility 13',
    ]);
    // Only 12 and 13 stayed.
    expect(await since(() => compiled.prepare([visit(1, 12), visit(2, 13)]))).toMatchObject({ pipelines: 0 });
    expect(await since(() => compiled.prepare([visit(1, 10)]))).toMatchObject({ pipelines: 1, lookups: 1 });
    // 10 came back and pushed out 12, the least recently used; 13 is still there.
    expect(await since(() => compiled.prepare([visit(1, 13)]))).toMatchObject({ pipelines: 0 });
    expect(await since(() => compiled.prepare([visit(1, 12)]))).toMatchObject({ pipelines: 1, lookups: 1 });
  });

  it('sets missing hashes to null with on_missing: null, and remembers they are missing', async () => {
    const { compiled, bound } = transformer('on_missing: "null"');
    await compiled.prepare([visit(1, 404)]);
    expect(bound.apply(visit(1, 404), []).row).toMatchObject({ facility_name: null, facility_city: null });
    expect(await since(() => compiled.prepare([visit(1, 404)]))).toMatchObject({ pipelines: 0 });
  });

  it('dead-letters records whose hash is missing with on_missing: fail', async () => {
    const { compiled, bound } = transformer('on_missing: fail');
    const batch = [visit(1, 1), visit(2, 405)];
    await compiled.prepare(batch);
    expect(bound.apply(visit(1, 1), []).row.facility_city).toBe('City 1');
    let error: unknown;
    try {
      bound.apply(visit(2, 405), []);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TransformError);
    expect((error as TransformError).violation).toEqual({
      rule: 'transform:enrich',
      field: 'facility_id',
      message: `no Redis hash at ${facilityKey(405)} (on_missing: fail)`,
    });
  });

  it('looks nothing up for unchanged keys and marks the looked-up fields unchanged', async () => {
    const { compiled, bound } = transformer('');
    const row = visit(1, null);
    expect(await since(() => compiled.prepare([row]))).toMatchObject({ pipelines: 0 });
    expect(bound.apply(row, ['facility_id'])).toEqual({
      row: { id: 1n, facility_id: null, ward: 'A', facility_name: null, facility_city: null },
      unchanged: ['facility_id', 'facility_name', 'facility_city'],
    });
  });
});
