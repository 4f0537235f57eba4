import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import { splitRequests } from './produce-requests.ts';

const record = (n: number, bytes = 100): Message => ({
  key: Buffer.from(String(n)),
  value: Buffer.alloc(bytes),
});
const keys = (requests: ReturnType<typeof splitRequests>) =>
  requests.map((request) =>
    request.map(({ topic, messages }) => `${topic}:${messages.map((m) => String(m.key)).join(',')}`),
  );

describe('splitRequests', () => {
  it('keeps a batch that fits in one request, and leaves empty topics out', () => {
    const requests = splitRequests(
      [
        { topic: 'out', messages: [record(1), record(2)] },
        { topic: 'dlq', messages: [] },
      ],
      10_000,
    );
    expect(keys(requests)).toEqual([['out:1,2']]);
  });

  it('splits by bytes, in order, across topics', () => {
    const requests = splitRequests(
      [
        { topic: 'out', messages: [record(1), record(2), record(3)] },
        { topic: 'dlq', messages: [record(4), record(5)] },
      ],
      300,
    );
    expect(keys(requests)).toEqual([['out:1,2'], ['out:3', 'dlq:4'], ['dlq:5']]);
  });

  it('sends a record over the budget alone', () => {
    const requests = splitRequests(
      [{ topic: 'out', messages: [record(1), record(2, 5000), record(3)] }],
      300,
    );
    expect(keys(requests)).toEqual([['out:1'], ['out:2'], ['out:3']]);
  });

  it('caps the records per request', () => {
    const messages = Array.from({ length: 2500 }, (_, i) => record(i, 1));
    const sizes = splitRequests([{ topic: 'out', messages }], 10_000_000).map(
      (request) => request[0]?.messages.length,
    );
    expect(sizes).toEqual([1000, 1000, 500]);
  });
});
