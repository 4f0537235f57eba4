import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WaitRecorder } from '../metrics/wait-clock.ts';
import { Readiness } from '../readiness.ts';
import { BatchWriter } from './batch-writer.ts';
import type { Sink, SinkEvent } from './sink.ts';

const event = { version: { commitLsn: 1n, seq: 0n } } as SinkEvent;
const lease = { isRunning: () => true, isStale: () => false };

const sink: Sink = {
  name: 'test',
  start: async () => undefined,
  write: async (events) => events.map(() => ({ kind: 'written' as const })),
  close: async () => undefined,
};

/** Waits as (fake) Date.now sees them: begun, and the ms each took. */
function recorder(): WaitRecorder & { waitedMs: number[] } {
  const waits = {
    waitedMs: [] as number[],
    begin: () => {
      const since = Date.now();
      return () => void waits.waitedMs.push(Date.now() - since);
    },
  };
  return waits;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BatchWriter rate limit', () => {
  it('tells how long each write waited for its turn under writesPerSecond', async () => {
    vi.useFakeTimers();
    const waits = recorder();
    const writer = new BatchWriter({
      sink,
      writesPerSecond: 1,
      rateLimitWaits: waits,
      backoff: { minMs: 1, maxMs: 1 },
      wait: { readiness: new Readiness(), signal: new AbortController().signal },
      onBreaker: () => undefined,
    });
    try {
      const written = Promise.all([writer.write([event], lease), writer.write([event], lease)]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(await written).toEqual([[{ kind: 'written' }], [{ kind: 'written' }]]);
      // The first went at once; the second waited for the next second.
      expect(waits.waitedMs).toEqual([0, 1_000]);
    } finally {
      writer.shutdown();
    }
  });
});
