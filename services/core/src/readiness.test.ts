import { describe, expect, it } from 'vitest';
import { CdcError } from './errors.ts';
import { NeedsOperatorError } from './failure.ts';
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
          code: undefined,
          reason: 'Kafka is unreachable: connection reset',
          since: new Date(1_000_000).toISOString(),
          attempts: 2,
        },
      ],
      failuresByCode: { UNCLASSIFIED: 2 },
    });
    time.advance(1000);
    expect(readiness.resolve('kafka')).toBe(5000);
    expect(readiness.resolve('kafka')).toBeUndefined();
    expect(readiness.snapshot()).toEqual({
      phase: 'running',
      notReady: undefined,
      waiting: [],
      failuresByCode: { UNCLASSIFIED: 2 },
    });
  });

  it('reports the code of each wait, and counts failed attempts by code', () => {
    const readiness = new Readiness();
    const away = new CdcError('KAFKA_UNAVAILABLE', 'Kafka is unreachable: connection refused', {
      retriable: true,
    });
    readiness.wait('kafka', away);
    readiness.wait('kafka', away);
    // A client's error wrapped by ours counts under ours; one with no code of ours is unclassified.
    readiness.wait('topics', new CdcError('TOPIC_MISSING', 'waiting for topic t', { cause: away }));
    readiness.wait('registry', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    readiness.failed(new NeedsOperatorError('KAFKA_REFUSED', 'not authorized', { fix: 'grant it' }));
    const { waiting, failuresByCode } = readiness.snapshot();
    expect(waiting.map((w) => [w.for, w.code, w.reason])).toEqual([
      ['kafka', 'KAFKA_UNAVAILABLE', 'Kafka is unreachable: connection refused'],
      ['topics', 'TOPIC_MISSING', 'waiting for topic t'],
      ['registry', undefined, 'socket hang up'],
    ]);
    expect(failuresByCode).toEqual({
      KAFKA_REFUSED: 1,
      KAFKA_UNAVAILABLE: 2,
      TOPIC_MISSING: 1,
      UNCLASSIFIED: 1,
    });
    expect(Object.keys(failuresByCode)).toEqual([
      'KAFKA_REFUSED',
      'KAFKA_UNAVAILABLE',
      'TOPIC_MISSING',
      'UNCLASSIFIED',
    ]);
    expect(readiness.notReady()).toBe('failed: not authorized');
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
  it('say what is waited for, the code, the reason, the next attempt and its number; and what came back after how long', () => {
    expect(
      describeWaitEvent({
        kind: 'waiting',
        for: 'target',
        code: 'REDIS_UNAVAILABLE',
        reason: 'Redis is unreachable',
        attempt: 3,
        retryInMs: 2040,
      }),
    ).toBe('waiting for target [REDIS_UNAVAILABLE]: Redis is unreachable; retrying in 2 s (attempt 3)');
    expect(
      describeWaitEvent({
        kind: 'waiting',
        for: 'kafka',
        code: undefined,
        reason: 'Kafka failed',
        attempt: 1,
        retryInMs: undefined,
      }),
    ).toBe('waiting for kafka: Kafka failed (attempt 1)');
    expect(describeWaitEvent({ kind: 'resumed', for: 'kafka', waitedMs: 34_400 })).toBe(
      'Kafka answers (waited 34 s)',
    );
    expect([formatDelay(360), formatDelay(2500), formatDelay(12_345)]).toEqual(['0.4 s', '2.5 s', '12 s']);
  });
});
