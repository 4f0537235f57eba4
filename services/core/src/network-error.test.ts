import { describe, expect, it } from 'vitest';
import { networkProblem } from './network-error.ts';

describe('networkProblem', () => {
  it('finds the socket error behind a client’s wrappers, in words', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(networkProblem(new TypeError('fetch failed', { cause: socket }))).toBe('connection refused');
    expect(networkProblem(new AggregateError([new Error('read ECONNRESET')]))).toBe('connection reset');
    expect(networkProblem(new Error('Connection error: getaddrinfo ENOTFOUND kafka'))).toBe('host not found');
    expect(networkProblem(new Error('WRONGTYPE Operation against a key'))).toBeUndefined();
  });
});
