import { describe, expect, it } from 'vitest';
import { Readiness, describeWaitEvent, formatDelay } from './readiness.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('Readiness', () => {
  it('is not ready while starting, and says what it waits for', () => {
    const readiness = new Readiness();
    expect(readiness.notReady()).toBe('starting');
    readiness.wait('topics', 'waiting for topic t to exist');
    readiness.wait(
      'target',
      'Redis (redis.url, or REDIS_URL) at redis://h:1 is unreachable: connection refused',
    );
    expect(readiness.notReady()).toBe(
      'starting: waiting for topic t to exist; Redis (redis.url, or REDIS_URL) at redis://h:1 is unreachable: connection refused',
    );
    readiness.resolve('topics');
    readiness.resolve('target');
    expect(readiness.notReady()).toBe('starting');
    readiness.running();
    expect(readiness.notReady()).toBeUndefined();
  });

  it('counts attempts from when a wait began, and says how long it lasted', () => {
    const time = clock();
    const readiness = new Readiness(time.now);
    readiness.running();
    expect(readiness.wait('kafka', 'Kafka is unreachable: connection refused')).toBe(1);
    time.advance(4000);
    expect(readiness.wait('kafka', 'Kafka is unreachable: connection reset')).toBe(2);
    expect(readiness.snapshot()).toEqual({
      phase: 'running',
      notReady: 'Kafka is unreachable: connection reset',
      waiting: [
        {
          for: 'kafka',
          reason: 'Kafka is unreachable: connection reset',
          since: new Date(1_000_000).toISOString(),
          attempts: 2,
        },
      ],
    });
    time.advance(1000);
    expect(readiness.resolve('kafka')).toBe(5000);
    expect(readiness.resolve('kafka')).toBeUndefined();
    expect(readiness.snapshot()).toEqual({ phase: 'running', notReady: undefined, waiting: [] });
  });

  it('keeps a failure until the end, and never goes back from stopped', () => {
    const readiness = new Readiness();
    readiness.running();
    readiness.failed('Kafka refused this service: not authorized');
    readiness.stopping();
    readiness.stopped();
    expect(readiness.phase).toBe('failed');
    expect(readiness.notReady()).toBe('failed: Kafka refused this service: not authorized');
    const stopped = new Readiness();
    stopped.stopping();
    expect(stopped.notReady()).toBe('stopping');
    stopped.stopped();
    stopped.running();
    expect(stopped.notReady()).toBe('stopped');
  });
});

describe('wait lines', () => {
  it('say the reason, the next attempt and its number; and what came back after how long', () => {
    expect(
      describeWaitEvent({
        kind: 'waiting',
        for: 'target',
        reason: 'Redis is unreachable',
        attempt: 3,
        retryInMs: 2040,
      }),
    ).toBe('Redis is unreachable; retrying in 2 s (attempt 3)');
    expect(
      describeWaitEvent({
        kind: 'waiting',
        for: 'kafka',
        reason: 'Kafka failed',
        attempt: 1,
        retryInMs: undefined,
      }),
    ).toBe('Kafka failed (attempt 1)');
    expect(describeWaitEvent({ kind: 'resumed', for: 'kafka', waitedMs: 34_400 })).toBe(
      'Kafka answers (waited 34 s)',
    );
    expect([formatDelay(360), formatDelay(2500), formatDelay(12_345)]).toEqual(['0.4 s', '2.5 s', '12 s']);
  });
});
