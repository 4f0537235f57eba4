import { describe, expect, it } from 'vitest';
import type { ErrorCode } from './error-codes.ts';
import { CdcError } from './errors.ts';
import { NeedsOperatorError } from './failure.ts';
import { Readiness, type WaitEvent } from './readiness.ts';
import { establishAll, retryAfterOf, retrying } from './waiting.ts';

const fast = { minMs: 1, maxMs: 2 };
const transient = (code: ErrorCode, message: string) => new CdcError(code, message, { retriable: true });

function context() {
  const events: WaitEvent[] = [];
  const controller = new AbortController();
  return {
    events,
    controller,
    wait: {
      readiness: new Readiness(),
      signal: controller.signal,
      backoff: fast,
      onEvent: (e: WaitEvent) => void events.push(e),
    },
  };
}

/** Fails with the given errors, one per call, then succeeds. */
function failing(...errors: unknown[]) {
  let calls = 0;
  const run = async () => {
    const error = errors[calls++];
    if (error !== undefined) throw error as Error;
  };
  return { run, calls: () => calls };
}

describe('establishAll', () => {
  it('tries every prerequisite at each attempt and reports each missing one, until all are there', async () => {
    const { wait, events } = context();
    const target = failing(
      transient('REDIS_UNAVAILABLE', 'Redis is unreachable'),
      transient('REDIS_UNAVAILABLE', 'Redis is unreachable'),
    );
    const topics = failing(transient('TOPIC_MISSING', 'waiting for topic t'));
    await establishAll(
      [
        { dependency: 'target', establish: target.run },
        { dependency: 'topics', establish: topics.run },
      ],
      wait,
    );
    expect([target.calls(), topics.calls()]).toEqual([3, 2]); // each is left alone once it succeeded
    expect(events.map((e) => `${e.kind} ${e.for}${e.kind === 'waiting' ? ` ${e.attempt}` : ''}`)).toEqual([
      'waiting target 1',
      'waiting topics 1',
      'resumed topics',
      'waiting target 2',
      'resumed target',
    ]);
    expect(wait.readiness.notReady()).toBe('starting');
  });

  it('reports a failure under what it names: a topic check that finds Kafka away waits for Kafka', async () => {
    const { wait, events } = context();
    const topics = failing(
      transient('KAFKA_UNAVAILABLE', 'Kafka is unreachable'),
      transient('TOPIC_MISSING', 'no topic'),
    );
    await establishAll([{ dependency: 'topics', establish: topics.run }], wait);
    expect(events.map((e) => `${e.kind} ${e.for}`)).toEqual([
      'waiting kafka',
      'resumed kafka',
      'waiting topics',
      'resumed topics',
    ]);
  });

  it('ends with a failure only an operator can fix, and with the signal', async () => {
    const { wait } = context();
    const denied = new NeedsOperatorError('KAFKA_REFUSED', 'not authorized', { fix: 'grant it' });
    await expect(
      establishAll(
        [{ dependency: 'kafka', establish: failing(transient('KAFKA_UNAVAILABLE', 'away'), denied).run }],
        wait,
      ),
    ).rejects.toBe(denied);

    const stopped = context();
    const never = establishAll(
      [{ dependency: 'kafka', establish: () => new Promise<void>(() => undefined) }],
      stopped.wait,
    );
    stopped.controller.abort(new Error('stopping'));
    await expect(never).rejects.toThrow('stopping'); // an attempt under way does not hold a stop up
  });
});

describe('retrying', () => {
  it('waits out transient failures, then reports the return', async () => {
    const { wait, events } = context();
    const op = failing(transient('REGISTRY_UNREACHABLE', 'the registry is unreachable'));
    let result: string | undefined;
    await retrying(
      async () => {
        await op.run();
        result = 'done';
      },
      { ...wait, dependency: () => 'registry' },
    );
    expect(result).toBe('done');
    expect(events.map((e) => `${e.kind} ${e.for}`)).toEqual(['waiting registry', 'resumed registry']);
  });

  it('throws what retrying cannot cure, and gives up when told to', async () => {
    const { wait } = context();
    const refused = new CdcError('HTTP_TARGET_REFUSED', 'refused', { retriable: false });
    await expect(retrying(failing(refused).run, { ...wait, dependency: () => 'target' })).rejects.toBe(
      refused,
    );
    const operator = new NeedsOperatorError('REDIS_AUTH', 'wrong password', { fix: 'fix it' });
    await expect(retrying(failing(operator).run, { ...wait, dependency: () => 'target' })).rejects.toBe(
      operator,
    );
    let revoked = false;
    const op = failing(
      transient('HTTP_TARGET_UNAVAILABLE', 'away'),
      transient('HTTP_TARGET_UNAVAILABLE', 'away'),
      transient('HTTP_TARGET_UNAVAILABLE', 'away'),
    );
    const result = retrying(
      async () => {
        revoked = true;
        await op.run();
      },
      {
        ...wait,
        dependency: () => 'target',
        giveUp: () => (revoked ? 'the partition was revoked' : undefined),
      },
    );
    await expect(result).rejects.toThrow('the partition was revoked');
    expect(op.calls()).toBe(1);
  });
});

describe('retrying after a Retry-After', () => {
  const asked = (ms: number) =>
    new CdcError('HTTP_TARGET_UNAVAILABLE', 'target answered 429', {
      retriable: true,
      details: { retryAfterMs: ms },
    });

  it('reads the longest hint anywhere in the error chain, and nothing else', () => {
    const wrapped = new CdcError('SINK_WRITE_FAILED', 'outer', {
      retriable: true,
      details: { retryAfterMs: 200 },
      cause: new AggregateError([asked(700), asked(50), new Error('no hint')]),
    });
    expect(retryAfterOf(wrapped)).toBe(700);
    expect(retryAfterOf(asked(0))).toBe(0);
    expect(retryAfterOf(transient('HTTP_TARGET_UNAVAILABLE', 'away'))).toBeUndefined();
    expect(
      retryAfterOf(new CdcError('HTTP_TARGET_REFUSED', 'x', { details: { retryAfterMs: '5' } })),
    ).toBeUndefined();
    expect(
      retryAfterOf(new CdcError('HTTP_TARGET_REFUSED', 'x', { details: { retryAfterMs: -1 } })),
    ).toBeUndefined();
    expect(retryAfterOf(undefined)).toBeUndefined();
  });

  it('makes no attempt earlier than the failure asked, and reports that wait', async () => {
    const { wait, events } = context(); // back-off of 1-2 ms: only the hint can hold the attempt back
    const attempts: number[] = [];
    let failedAt = 0;
    await retrying(
      async () => {
        attempts.push(performance.now());
        if (attempts.length === 1) {
          failedAt = performance.now();
          throw asked(300);
        }
      },
      { ...wait, dependency: () => 'target' },
    );
    expect(attempts).toHaveLength(2);
    // No tolerance needed: the wait is measured on the same monotonic clock and only ever longer.
    expect((attempts[1] as number) - failedAt).toBeGreaterThanOrEqual(300);
    expect(events[0]).toMatchObject({ kind: 'waiting', for: 'target', retryInMs: 300 });
  });

  it('still ends the wait when the service stops or the partition is revoked meanwhile', async () => {
    const stopping = context();
    const stopped = retrying(
      async () => {
        throw asked(60_000);
      },
      {
        ...stopping.wait,
        dependency: () => 'target',
        onEvent: () => void setTimeout(() => stopping.controller.abort(new Error('stopping')), 50),
      },
    );
    await expect(stopped).rejects.toThrow('stopping');

    const revoking = context();
    let revoked = false;
    const attempts = failing(asked(60_000), asked(60_000));
    const given = retrying(attempts.run, {
      ...revoking.wait,
      dependency: () => 'target',
      onEvent: () => void setTimeout(() => (revoked = true), 50), // revoked while it waits
      giveUp: () => (revoked ? 'the partition was revoked' : undefined),
    });
    await expect(given).rejects.toThrow('the partition was revoked');
    expect(attempts.calls()).toBe(1);
  });
});
