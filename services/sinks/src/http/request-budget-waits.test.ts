import { describe, expect, it } from 'vitest';
import type { WaitRecorder } from '@cdc/core';
import { RequestBudget } from './request-budget.ts';

/** A WaitRecorder that keeps count of waits begun and ended. */
function recorder(): WaitRecorder & { begun: number; ended: number } {
  const waits = {
    begun: 0,
    ended: 0,
    begin: () => {
      waits.begun += 1;
      return () => void (waits.ended += 1);
    },
  };
  return waits;
}

describe('RequestBudget waits', () => {
  it('reports a wait only for requests held back, and ends each when it goes', async () => {
    const waits = recorder();
    const budget = new RequestBudget({ requestsPerSecond: 200, burst: 2 }, waits);
    await Promise.all(Array.from({ length: 5 }, () => budget.take()));
    expect(waits).toMatchObject({ begun: 3, ended: 3 });
  });

  it('reports the requests a Retry-After pause holds back, and ends the wait of one that aborts', async () => {
    const waits = recorder();
    const budget = RequestBudget.unlimited(waits);
    await budget.take();
    expect(waits.begun).toBe(0);
    budget.pauseUntil(Date.now() + 50);
    const controller = new AbortController();
    const dropped = budget.take(controller.signal);
    const held = budget.take();
    expect(waits).toMatchObject({ begun: 2, ended: 0 });
    controller.abort(new Error('stopping'));
    await expect(dropped).rejects.toThrow('stopping');
    expect(waits.ended).toBe(1);
    await held;
    expect(waits).toMatchObject({ begun: 2, ended: 2 });
  });
});
