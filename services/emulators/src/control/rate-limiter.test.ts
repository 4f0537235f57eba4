import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter (token bucket per principal)', () => {
  it('allows a burst, then one request per 1/perSecond, with Retry-After in whole seconds', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 });
    const t0 = 1_000_000;
    expect([0, 1, 2].map(() => limiter.take('p', t0).allowed)).toEqual([true, true, true]);
    expect(limiter.take('p', t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('p', t0 + 499).allowed).toBe(false);
    expect(limiter.take('p', t0 + 500).allowed).toBe(true);
    // Idle time refills up to the burst, never beyond it.
    expect([0, 1, 2, 3].map(() => limiter.take('p', t0 + 60_000).allowed)).toEqual([true, true, true, false]);
  });

  it('a slow rate asks for a longer wait', () => {
    const limiter = new RateLimiter({ perSecond: 0.25, burst: 1 });
    expect(limiter.take('p', 0).allowed).toBe(true);
    expect(limiter.take('p', 0)).toEqual({ allowed: false, retryAfterSeconds: 4 });
  });

  it('per principal settings: own rate, lifted (null), back to the default (undefined)', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 });
    limiter.set('fast', { perSecond: 100, burst: 5, status: 403 });
    expect(limiter.settingOf('fast')).toEqual({ perSecond: 100, burst: 5, status: 403 });
    for (let i = 0; i < 5; i++) expect(limiter.take('fast', 0).allowed).toBe(true);
    expect(limiter.take('fast', 0)).toMatchObject({ allowed: false, status: 403 });
    limiter.set('fast', null);
    expect(limiter.take('fast', 0).allowed).toBe(true);
    limiter.set('fast', undefined);
    expect(limiter.settingOf('fast')).toEqual({ perSecond: 1, burst: 1 });
    expect(limiter.take('other', 0).allowed).toBe(true);
    expect(limiter.take('other', 0).allowed).toBe(false);
  });
});
