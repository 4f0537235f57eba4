import { describe, expect, it } from 'vitest';
import { EventCache } from './event-cache.ts';

describe('EventCache', () => {
  it('forgets the least recently used event beyond its capacity', () => {
    const cache = new EventCache(2);
    cache.set('a', { id: 'a' });
    cache.set('b', { id: 'b' });
    expect(cache.get('a')).toEqual({ id: 'a' }); // now b is the least recently used
    cache.set('c', { id: 'c' });
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a')?.id, cache.get('c')?.id, cache.size]).toEqual(['a', 'c', 2]);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
