import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AvroRecord } from '@cdc/core';
import { timeText, toBoolean, toDouble, toInt, toLong } from './convert.ts';
import { LruTtlCache } from './lru.ts';
import { createMasker } from './mask.ts';
import { stepsSchema } from './step-config.ts';
import { compileSteps } from './steps.ts';

describe('conversions', () => {
  it('accept exact forms only', () => {
    expect(toInt('12.00')).toBe(12);
    expect(toInt(2_147_483_647n)).toBe(2_147_483_647);
    expect(() => toInt(2_147_483_648)).toThrow(/not a whole number/);
    expect(() => toInt('1e3')).toThrow(/not a whole number/);
    expect(toLong(-9_007_199_254_740_993n)).toBe(-9_007_199_254_740_993n);
    expect(toLong('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(() => toLong(1.5)).toThrow(/64-bit/);
    expect(toDouble('1e3')).toBe(1000);
    expect(toDouble('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(() => toDouble('12 kg')).toThrow('"12 kg" is not a number');
    expect([toBoolean(' YES '), toBoolean('f'), toBoolean(1n), toBoolean(0)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(() => toBoolean(2)).toThrow(/not a boolean/);
  });

  it('write dates and times as ISO 8601 with microseconds', () => {
    expect(timeText('date', -1)).toBe('1969-12-31');
    expect(timeText('timestamp-micros', -1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(timeText('local-timestamp-micros', 0n)).toBe('1970-01-01T00:00:00.000000');
    expect(timeText('time-micros', 86_399_999_999n)).toBe('23:59:59.999999');
    expect(timeText('timestamp-micros', 253_402_300_800_000_000n)).toBe('+010000-01-01T00:00:00.000000Z');
  });
});

describe('HMAC', () => {
  it('is HMAC-SHA256 for short and long salts', () => {
    for (const salt of ['pepper', 'x'.repeat(64), 'y'.repeat(100)]) {
      const masker = createMasker({ field: 'a', method: 'hash', salt_env: 'S' }, 0, { S: salt });
      expect(masker.mask('patient 7')).toBe(createHmac('sha256', salt).update('patient 7').digest('hex'));
      expect(masker.mask('patient 7')).toBe(masker.mask('patient 7'));
    }
  });
});

describe('time zones', () => {
  const input: AvroRecord = {
    type: 'record',
    name: 'V',
    namespace: 'n',
    fields: [
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'wall', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    ],
  };
  const zone = (name: string) =>
    compileSteps(
      stepsSchema.parse(
        parse(
          `- normalise: { field: at, timezone: ${name} }\n- normalise: { field: wall, timezone: ${name} }`,
        ),
      ),
    ).forSchema(input);

  it('agree with luxon around every transition, including half-hour zones', () => {
    const mismatches: string[] = [];
    const format = "yyyy-MM-dd'T'HH:mm:ss.SSS'007'ZZ";
    for (const name of ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      const bound = zone(name);
      const start = Date.UTC(2024, 0, 1);
      // Every 7 h 1 min 13 s: each minute of the hour comes up, and every transition is crossed.
      for (let ms = start; ms < start + 366 * 86_400_000; ms += 421 * 60_000 + 13_000) {
        const micros = BigInt(ms) * 1000n + 7n;
        const { row } = bound.apply({ at: micros, wall: micros }, []);
        const instant = DateTime.fromMillis(ms, { zone: name }).toFormat(format);
        const wall = DateTime.fromMillis(ms, { zone: 'UTC' })
          .setZone(name, { keepLocalTime: true })
          .toFormat(format);
        if (row.at !== instant) mismatches.push(`${name} at ${ms}: ${String(row.at)} != ${instant}`);
        if (row.wall !== wall) mismatches.push(`${name} wall ${ms}: ${String(row.wall)} != ${wall}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('stay exact minute by minute across transitions, from the cache too', () => {
    const bound = zone('Europe/Paris');
    const format = "yyyy-MM-dd'T'HH:mm:ss.SSS'000'ZZ";
    const mismatches: string[] = [];
    for (const pass of [1, 2]) {
      for (const transition of [Date.UTC(2024, 2, 31, 1), Date.UTC(2024, 9, 27, 1)]) {
        for (let ms = transition - 90 * 60_000; ms <= transition + 90 * 60_000; ms += 60_000) {
          const micros = BigInt(ms) * 1000n;
          const { row } = bound.apply({ at: micros, wall: micros }, []);
          const instant = DateTime.fromMillis(ms, { zone: 'Europe/Paris' }).toFormat(format);
          const wall = DateTime.fromMillis(ms, { zone: 'UTC' })
            .setZone('Europe/Paris', { keepLocalTime: true })
            .toFormat(format);
          if (row.at !== instant) mismatches.push(`pass ${pass} at ${ms}: ${String(row.at)} != ${instant}`);
          if (row.wall !== wall) mismatches.push(`pass ${pass} wall ${ms}: ${String(row.wall)} != ${wall}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 60_000);

  it('moves wall-clock times in a DST gap forward and resolves repeated ones as luxon does', () => {
    const bound = zone('Europe/Paris');
    const wall = (text: string) => BigInt(Date.parse(`${text}Z`)) * 1000n;
    expect(bound.apply({ at: 0n, wall: wall('2024-03-31T02:30:00') }, []).row.wall).toBe(
      '2024-03-31T03:30:00.000000+02:00',
    );
    expect(bound.apply({ at: 0n, wall: wall('2024-10-27T02:30:00') }, []).row.wall).toBe(
      '2024-10-27T02:30:00.000000+01:00',
    );
  });
});

describe('LruTtlCache', () => {
  it('evicts the least recently used entry and expires entries', () => {
    const cache = new LruTtlCache<number>(2, 100);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    expect(cache.get('a', 10)).toBe(1);
    cache.set('c', 3, 10);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 10)).toBeUndefined();
    expect(cache.get('a', 99)).toBe(1);
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('keeps nothing with a zero TTL', () => {
    const cache = new LruTtlCache<number>(2, 0);
    cache.set('a', 1, 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
