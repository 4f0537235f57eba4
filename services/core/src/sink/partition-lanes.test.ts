import { describe, expect, it } from 'vitest';
import { PartitionLanes } from './partition-lanes.ts';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PartitionLanes', () => {
  it('lets the next write of a partition start only once its previous one has settled', async () => {
    const lanes = new PartitionLanes();
    const log: string[] = [];
    const write =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`${name} start`);
        await later(ms);
        log.push(`${name} end`);
        if (fail) throw new Error(`${name} failed`);
      };
    lanes.start('t', 0, write('a1', 40, true));
    lanes.start('t', 1, write('b1', 5));
    await lanes.previous('t', 1);
    expect(log).toContain('b1 end');
    expect(log).not.toContain('a1 end');
    // Partition 0's previous write fails: waiting for it settles all the same.
    await lanes.previous('t', 0);
    expect(log.at(-1)).toBe('a1 end');
    lanes.start('t', 0, write('a2', 5));
    expect(lanes.size).toBe(1);
    await lanes.settled();
    expect(log).toEqual(['a1 start', 'b1 start', 'b1 end', 'a1 end', 'a2 start', 'a2 end']);
    expect(lanes.size).toBe(0);
  });

  it('keeps topics apart, and settles every write under way', async () => {
    const lanes = new PartitionLanes();
    const ended: string[] = [];
    lanes.start('orders', 0, async () => {
      await later(20);
      ended.push('orders');
    });
    lanes.start('patients', 0, async () => {
      await later(10);
      ended.push('patients');
    });
    await lanes.previous('patients', 0);
    expect(ended).toEqual(['patients']);
    await lanes.settled();
    expect(ended).toEqual(['patients', 'orders']);
  });
});
