import { describe, expect, it } from 'vitest';
import { processingLag } from './stream-progress.ts';
import {
  HEARTBEAT_PREFIX,
  HEARTBEAT_SQL,
  Heartbeat,
  isHeartbeatMessage,
  type HeartbeatClient,
} from './heartbeat.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Fake {
  readonly clients: { queries: unknown[][]; ended: boolean; emitError?: (error: Error) => void }[];
  connect: () => Promise<HeartbeatClient>;
  /** Called for each query; throw to fail it, await to slow it. */
  behaviour: (n: number) => Promise<void>;
  active: number;
  maxActive: number;
}

function fake(): Fake {
  let n = 0;
  const state: Fake = {
    clients: [],
    behaviour: async () => undefined,
    active: 0,
    maxActive: 0,
    connect: async () => {
      const record: Fake['clients'][number] = { queries: [], ended: false };
      state.clients.push(record);
      return {
        query: async (text, values) => {
          state.active += 1;
          state.maxActive = Math.max(state.maxActive, state.active);
          try {
            record.queries.push([text, ...values]);
            await state.behaviour(n++);
          } finally {
            state.active -= 1;
          }
        },
        end: async () => void (record.ended = true),
        on: (_event, listener) => (record.emitError = listener),
      };
    },
  };
  return state;
}

describe('Heartbeat', () => {
  it('emits a transactional message with the prefix the stream recognises', async () => {
    const f = fake();
    const now = new Date('2024-05-01T10:00:00.000Z');
    const heartbeat = new Heartbeat({
      connectionString: '',
      intervalMs: 1000,
      connect: f.connect,
      now: () => now,
    });
    await heartbeat.beat();
    expect(f.clients[0]!.queries).toEqual([[HEARTBEAT_SQL, '2024-05-01T10:00:00.000Z']]);
    expect(HEARTBEAT_SQL).toContain(`pg_logical_emit_message(true, '${HEARTBEAT_PREFIX}'`);
    expect(heartbeat.counters).toEqual({ sent: 1, failed: 0, failuresInARow: 0, lastError: undefined });
    await heartbeat.stop();
    expect(f.clients[0]!.ended).toBe(true);
  });

  it('runs every interval without overlapping slow runs', async () => {
    const f = fake();
    f.behaviour = () => sleep(60); // slower than the interval
    const heartbeat = new Heartbeat({ connectionString: '', intervalMs: 20, connect: f.connect });
    heartbeat.start();
    await sleep(400);
    await heartbeat.stop();
    expect(heartbeat.counters.sent).toBeGreaterThanOrEqual(3);
    expect(f.maxActive).toBe(1);
    expect(f.clients).toHaveLength(1); // one connection, reused
  });

  it('survives failed runs, reports them, and reconnects', async () => {
    const f = fake();
    f.behaviour = async (n) => {
      if (n < 2) throw new Error(`boom ${n}`);
    };
    const errors: unknown[] = [];
    const inARow: number[] = [];
    const heartbeat = new Heartbeat({
      connectionString: '',
      intervalMs: 20,
      connect: f.connect,
      onError: (error, failuresInARow) => {
        errors.push(error);
        inARow.push(failuresInARow);
      },
    });
    heartbeat.start();
    for (let i = 0; i < 100 && heartbeat.counters.sent === 0; i++) await sleep(10);
    await heartbeat.stop();
    expect(heartbeat.counters.failed).toBe(2);
    expect(heartbeat.counters.sent).toBeGreaterThanOrEqual(1);
    expect(heartbeat.counters.lastError).toBeUndefined();
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom 0', 'boom 1']);
    expect(inARow).toEqual([1, 2]);
    expect(heartbeat.counters.failuresInARow).toBe(0);
    // Each failure dropped its connection; the success ran on a third.
    expect(f.clients.slice(0, 2).every((c) => c.ended)).toBe(true);
    expect(f.clients.length).toBeGreaterThanOrEqual(3);
  });

  it('counts a failed connect and retries it', async () => {
    let attempts = 0;
    const f = fake();
    const connect = async () => {
      if (++attempts === 1) throw new Error('refused');
      return f.connect();
    };
    const heartbeat = new Heartbeat({ connectionString: '', intervalMs: 20, connect });
    heartbeat.start();
    for (let i = 0; i < 100 && heartbeat.counters.sent === 0; i++) await sleep(10);
    await heartbeat.stop();
    expect(heartbeat.counters.failed).toBe(1);
    expect(heartbeat.counters.sent).toBeGreaterThanOrEqual(1);
  });

  it('forgets a connection that breaks while idle', async () => {
    const f = fake();
    const heartbeat = new Heartbeat({ connectionString: '', intervalMs: 1000, connect: f.connect });
    await heartbeat.beat();
    f.clients[0]!.emitError!(new Error('terminated'));
    await heartbeat.beat();
    expect(f.clients).toHaveLength(2);
    expect(f.clients[0]!.ended).toBe(true);
    await heartbeat.stop();
  });

  it('stops cleanly: waits for the run in flight and schedules no more', async () => {
    const f = fake();
    f.behaviour = () => sleep(50);
    const heartbeat = new Heartbeat({ connectionString: '', intervalMs: 10, connect: f.connect });
    heartbeat.start();
    await sleep(20); // a run is in flight
    await heartbeat.stop();
    const sent = heartbeat.counters.sent;
    expect(f.active).toBe(0);
    expect(f.clients.every((c) => c.ended)).toBe(true);
    await sleep(100);
    expect(heartbeat.counters.sent).toBe(sent);
    expect(f.clients.flatMap((c) => c.queries)).toHaveLength(sent);
  });

  it('refuses a zero interval (0 means off: do not construct one)', () => {
    expect(() => new Heartbeat({ connectionString: '', intervalMs: 0 })).toThrow(/positive/u);
  });

  it('recognises its messages by prefix', () => {
    const message = (prefix: string) => ({
      tag: 'message' as const,
      transactional: true,
      lsn: '0/0',
      prefix,
      content: Buffer.from(''),
    });
    expect(isHeartbeatMessage(message(HEARTBEAT_PREFIX))).toBe(true);
    expect(isHeartbeatMessage(message('app.annotation'))).toBe(false);
  });
});

describe('processingLag', () => {
  it('is now minus the commit time, never negative, undefined before any commit', () => {
    expect(processingLag(10_000, 9_250)).toBe(750);
    expect(processingLag(10_000, 10_500)).toBe(0);
    expect(processingLag(10_000, undefined)).toBeUndefined();
  });
});
