import { describe, expect, it } from 'vitest';
import { RequestBudget } from './request-budget.ts';

// Times are lower bounds on the budget's own clocks (a timer may be late on a loaded machine,
// never early here: the budget checks the clock again before it lets a request go).
describe('RequestBudget', () => {
  it('lets a burst go at once, then one request per 1/rate seconds', async () => {
    const start = performance.now();
    const budget = new RequestBudget({ requestsPerSecond: 20, burst: 3 });
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    const taken = await Promise.all(
      Array.from({ length: 6 }, () =>
        budget.take().then(() => ({ at: performance.now() - start, timerRan })),
      ),
    );
    // The burst goes before any timer could run: it does not wait for the rate.
    expect(taken.map((t) => t.timerRan)).toEqual([false, false, false, true, true, true]);
    taken.slice(3).forEach(({ at }, i) => expect(at).toBeGreaterThanOrEqual(50 * (i + 1) - 0.5));
    expect(budget.waiting).toBe(0);
  });

  it('serves requests in the order they asked', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 200, burst: 1 });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 8 }, (_, i) => budget.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('drops a request whose signal aborts, and gives its turn to the next', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 10, burst: 1 });
    await budget.take();
    const controller = new AbortController();
    const dropped = budget.take(controller.signal);
    const next = budget.take();
    expect(budget.waiting).toBe(2);
    controller.abort(new Error('stopping'));
    await expect(dropped).rejects.toThrow('stopping');
    await next;
    expect(budget.waiting).toBe(0);
    await expect(budget.take(AbortSignal.abort(new Error('already stopped')))).rejects.toThrow(
      'already stopped',
    );
  });

  it('holds every request back until a pause ends, and a shorter pause does not shorten it', async () => {
    const budget = RequestBudget.unlimited();
    await budget.take(); // no rate limit
    const until = Date.now() + 200;
    budget.pauseUntil(until);
    budget.pauseUntil(until - 150);
    expect(budget.pausedUntil).toBe(until);
    const released = await Promise.all([1, 2, 3].map(() => budget.take().then(() => Date.now())));
    released.forEach((t) => expect(t).toBeGreaterThanOrEqual(until)); // the budget compares the same clock
    expect(budget.pausedUntil).toBeUndefined();

    const limited = new RequestBudget({ requestsPerSecond: 1000, burst: 1 });
    await limited.take();
    const queued = limited.take().then(() => Date.now()); // waiting for a token when the pause comes
    const pausedTo = Date.now() + 100;
    limited.pauseUntil(pausedTo);
    expect(await queued).toBeGreaterThanOrEqual(pausedTo);
  });

  it('refuses a budget that could never let a request go', () => {
    expect(() => new RequestBudget({ requestsPerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new RequestBudget({ requestsPerSecond: 1, burst: 0 })).toThrow(RangeError);
    expect(() => new RequestBudget({ requestsPerSecond: Number.NaN, burst: 1 })).toThrow(RangeError);
  });

  it('comes out of a pause at the rate, without the burst: the target just said its bucket is empty', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 20, burst: 3 });
    budget.pauseUntil(Date.now() + 100);
    const start = performance.now();
    const taken = await Promise.all(
      Array.from({ length: 3 }, () => budget.take().then(() => performance.now() - start)),
    );
    // With the burst, all three would go together at the pause's end.
    expect(taken[0]).toBeGreaterThanOrEqual(99);
    expect((taken[2] as number) - (taken[0] as number)).toBeGreaterThanOrEqual(2 * 50 - 1);
  });
});
