import { describe, expect, it } from 'vitest';
import { WaitClock } from './wait-clock.ts';

function clock() {
  let now = 0;
  const reported: number[] = [];
  const waits = new WaitClock(
    (seconds) => reported.push(seconds),
    () => now,
  );
  const total = () => reported.reduce((sum, s) => sum + s, 0);
  return { waits, reported, total, advance: (ms: number) => (now += ms) };
}

describe('WaitClock', () => {
  it('counts the wall time during which anyone waits, overlapping waits once', () => {
    const { waits, total, advance } = clock();
    const first = waits.begin();
    advance(500);
    const second = waits.begin();
    advance(500);
    first();
    advance(250);
    second();
    advance(1000); // nobody waits
    expect(total()).toBeCloseTo(1.25);
  });

  it('reports a long wait in pieces on flush, and ignores a second end', () => {
    const { waits, reported, advance } = clock();
    const end = waits.begin();
    advance(2000);
    waits.flush();
    expect(reported).toEqual([2]);
    advance(1000);
    end();
    end();
    waits.flush();
    expect(reported).toEqual([2, 1]);
  });
});
