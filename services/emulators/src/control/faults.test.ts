import { describe, expect, it } from 'vitest';
import { FaultStore } from './faults.ts';

describe('FaultStore', () => {
  it('without duration or count a fault covers the next request only', () => {
    const store = new FaultStore();
    store.add('p', { kind: 'server_error' }, 0);
    expect(store.take('p', 0).map((f) => f.kind)).toEqual(['server_error']);
    expect(store.take('p', 0)).toEqual([]);
  });

  it('count covers that many requests; duration_ms covers a time window', () => {
    const store = new FaultStore();
    store.add('p', { kind: 'overloaded', count: 2 }, 0);
    store.add('q', { kind: 'rate_limited', durationMs: 100 }, 0);
    expect([0, 1, 2].map(() => store.take('p', 0).length)).toEqual([1, 1, 0]);
    expect([0, 50, 99, 100].map((t) => store.take('q', t).length)).toEqual([1, 1, 1, 0]);
  });

  it('with both, whichever ends first; clear removes a principal’s faults only', () => {
    const store = new FaultStore();
    store.add('p', { kind: 'slow', delayMs: 5, durationMs: 1000, count: 1 }, 0);
    store.add('p', { kind: 'server_error', durationMs: 10 }, 0);
    store.add('q', { kind: 'server_error' }, 0);
    expect(store.take('p', 1).map((f) => f.kind)).toEqual(['slow', 'server_error']);
    expect(store.take('p', 20)).toEqual([]);
    store.add('p', { kind: 'server_error' }, 0);
    expect(store.clear('p')).toBe(1);
    expect(store.take('q', 0)).toHaveLength(1);
  });
});
