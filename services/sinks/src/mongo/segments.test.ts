import { describe, expect, it } from 'vitest';
import { truncateSegments } from './segments.ts';

describe('truncateSegments', () => {
  it('keeps truncates between the runs of events around them', () => {
    const truncates = new Set([2, 5]);
    expect(truncateSegments([0, 1, 2, 3, 4, 5], (i) => truncates.has(i))).toEqual([
      { indexes: [0, 1] },
      { truncate: 2 },
      { indexes: [3, 4] },
      { truncate: 5 },
    ]);
  });
});
