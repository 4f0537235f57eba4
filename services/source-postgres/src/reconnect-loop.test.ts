import { describe, expect, it } from 'vitest';
import { CdcError, NeedsOperatorError } from '@cdc/core';
import { ReconnectLoop, type ReconnectEvent, type Session } from './reconnect-loop.ts';

// The reconnect loop's state machine with fake sessions: no servers, tiny back-off.

class FakeSession implements Session {
  readonly done: Promise<void>;
  stopped = false;
  #settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor() {
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.done.catch(() => undefined);
  }

  fail(error: unknown): void {
    this.#settle.reject(error);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#settle.resolve();
  }
}

const away = (what: string) =>
  new CdcError('DATABASE_UNAVAILABLE', `${what} is unreachable`, { retriable: true });
const fast = { minMs: 1, maxMs: 4 };

/** A loop whose attempts follow a script: an error to throw, or a session to return. */
function scripted(
  steps: (Error | FakeSession | undefined)[],
  options: { stableMs?: number; backoff?: typeof fast } = {},
) {
  const events: ReconnectEvent[] = [];
  let attempts = 0;
  const loop = new ReconnectLoop<FakeSession>({
    connect: async () => {
      const step = steps[attempts++];
      if (step instanceof Error) throw step;
      return step;
    },
    classify: (error) => error,
    onEvent: (event) => events.push(event),
    backoff: options.backoff ?? fast,
    stableMs: options.stableMs ?? 5,
  });
  return { loop, events, attempts: () => attempts };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
};

describe('ReconnectLoop', () => {
  it('retries transient failures of the first start, numbering the attempts, until a session streams', async () => {
    const session = new FakeSession();
    const { loop, events } = scripted([away('PostgreSQL'), away('Kafka'), session]);
    const run = loop.run();
    await until(() => events.some((e) => e.kind === 'connected'));
    expect(events.map((e) => [e.kind, e.kind === 'connected' ? e.after?.attempt : e.outage.attempt])).toEqual(
      [
        ['retrying', 2],
        ['retrying', 3],
        ['connected', 3],
      ],
    );
    const retry = events[0]!;
    expect(retry.kind === 'retrying' && retry.outage.reason).toBe('PostgreSQL is unreachable');
    expect(retry.kind === 'retrying' && retry.outage.retryAtMs).toBeGreaterThan(0);
    expect(loop.outage).toBeUndefined();
    expect(loop.session).toBe(session);
    await loop.stop();
    expect(await run).toBe('stopped');
    expect(session.stopped).toBe(true);
  });

  it('reconnects after a streaming session fails, starting a new outage with a first attempt at once', async () => {
    const first = new FakeSession();
    const second = new FakeSession();
    const { loop, events } = scripted([first, away('PostgreSQL'), second]);
    const run = loop.run();
    await until(() => loop.session === first);
    await new Promise((resolve) => setTimeout(resolve, 20)); // stable by now
    first.fail(away('the replication connection'));
    await until(() => loop.session === second);
    expect(events.map((e) => e.kind)).toEqual(['connected', 'interrupted', 'retrying', 'connected']);
    const interrupted = events[1]!;
    expect(interrupted.kind === 'interrupted' && interrupted.outage).toMatchObject({
      reason: 'the replication connection is unreachable',
      attempt: 1,
      retryAtMs: undefined,
    });
    const resumed = events[3]!;
    expect(resumed.kind === 'connected' && resumed.after?.attempt).toBe(2);
    await loop.stop();
    expect(await run).toBe('stopped');
  });

  it('counts a session that fails before it is stable as a failed attempt of the same outage', async () => {
    const flapping = new FakeSession();
    const steady = new FakeSession();
    const { loop, events } = scripted([away('Kafka'), flapping, steady], { stableMs: 10_000 });
    const run = loop.run();
    await until(() => loop.session === flapping);
    flapping.fail(away('Kafka'));
    await until(() => loop.session === steady);
    expect(events.map((e) => [e.kind, e.kind === 'connected' ? e.after?.attempt : e.outage.attempt])).toEqual(
      [
        ['retrying', 2],
        ['connected', 2],
        ['retrying', 3], // not 'interrupted' with attempt 1: the back-off goes on growing
        ['connected', 3],
      ],
    );
    await loop.stop();
    expect(await run).toBe('stopped');
  });

  it('ends with a failure that needs an operator, at the start or while streaming', async () => {
    const refused = new NeedsOperatorError('DATABASE_REFUSED', 'PostgreSQL refused: password', {
      fix: 'fix it',
    });
    await expect(scripted([away('PostgreSQL'), refused]).loop.run()).rejects.toBe(refused);

    const session = new FakeSession();
    const { loop } = scripted([session]);
    const run = loop.run();
    await until(() => loop.session === session);
    const bug = new TypeError('x is undefined');
    session.fail(bug);
    await expect(run).rejects.toBe(bug);
  });

  it('stops at once while waiting between attempts', async () => {
    const { loop, events, attempts } = scripted([away('Kafka'), away('Kafka')], {
      backoff: { minMs: 60_000, maxMs: 60_000 },
    });
    const run = loop.run();
    await until(() => events.length === 1);
    expect(loop.outage?.retryAtMs).toBeGreaterThan(Date.now() + 50_000);
    // Resolves long before the 60 s back-off (the test's own timeout is 5 s).
    await loop.stop();
    expect(await run).toBe('stopped');
    expect(attempts()).toBe(1);
  });

  it('stops a session that an attempt returns after stop() was called', async () => {
    const late = new FakeSession();
    let release!: () => void;
    const loop = new ReconnectLoop<FakeSession>({
      connect: () => new Promise<FakeSession>((resolve) => (release = () => resolve(late))),
      classify: (error) => error,
      backoff: fast,
    });
    const run = loop.run();
    await until(() => release !== undefined);
    const stopping = loop.stop();
    release();
    await stopping;
    expect(await run).toBe('stopped');
    expect(late.stopped).toBe(true);
  });

  it('finishes when an attempt has nothing to stream (snapshot.mode initial_only)', async () => {
    const { loop, events } = scripted([away('Kafka'), undefined]);
    expect(await loop.run()).toBe('finished');
    expect(events.map((e) => e.kind)).toEqual(['retrying']);
  });
});
