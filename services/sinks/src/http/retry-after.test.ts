import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after.ts';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('retryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
  });

  it('reads the three HTTP-date forms of RFC 9110', () => {
    expect(retryAfterMs('Thu, 15 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Thursday, 15-Jan-26 12:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Thu Jan 15 12:00:05 2026', now)).toBe(5000);
    expect(retryAfterMs('Thu Jan  1 00:00:00 2026', now)).toBeUndefined(); // in the past
  });

  it('caps a long wait', () => {
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('Fri, 16 Jan 2026 12:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('9'.repeat(400), now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('has nothing to honour in a missing, negative or malformed header', () => {
    for (const header of [
      null,
      undefined,
      '',
      '   ',
      '-5',
      '1.5',
      '5 seconds',
      '0x10',
      'soon',
      '2026-01-15T12:00:30Z', // ISO 8601 is not an HTTP-date
      'Thu, 15 Jan 2026 12:00:30 UTC',
      'Thu, 32 Jan 2026 12:00:30 GMT',
      'Thu, 15 Foo 2026 12:00:30 GMT',
      'Thu, 15 Jan 2026 25:00:30 GMT',
    ]) {
      expect(retryAfterMs(header, now), String(header)).toBeUndefined();
    }
  });
});
