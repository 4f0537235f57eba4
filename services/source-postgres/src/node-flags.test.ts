import { describe, expect, it } from 'vitest';
import { missingSourceNodeFlags, SOURCE_NODE_FLAGS } from './node-flags.ts';

describe('missingSourceNodeFlags', () => {
  it('lists every flag when none is given', () => {
    expect(missingSourceNodeFlags([], '')).toEqual([...SOURCE_NODE_FLAGS]);
  });

  it('respects a flag set by name, in the arguments or NODE_OPTIONS, with - or _', () => {
    expect(missingSourceNodeFlags(['--max-semi-space-size=32'], '')).toEqual([]);
    expect(missingSourceNodeFlags([], '--inspect --max_semi_space_size=2')).toEqual([]);
    expect(missingSourceNodeFlags(['--max-old-space-size=64'], '')).toEqual([...SOURCE_NODE_FLAGS]);
  });
});
