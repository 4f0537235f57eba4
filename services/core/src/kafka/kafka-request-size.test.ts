import { describe, expect, it } from 'vitest';
import type { Message } from 'kafkajs';
import {
  BATCH_OVERHEAD_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SEND_BUDGET,
  MAX_RECORDS_PER_REQUEST,
  recordSizeBound,
  sendBudget,
  splitRequests,
} from './kafka-request-size.ts';

const record = (n: number, bytes = 100): Message => ({
  key: Buffer.from(String(n)),
  value: Buffer.alloc(bytes),
});
const keys = (requests: ReturnType<typeof splitRequests>) =>
  requests.map((request) =>
    request.map(({ topic, messages }) => `${topic}:${messages.map((m) => String(m.key)).join(',')}`),
  );

describe('recordSizeBound', () => {
  it('counts the framing, the key, the value and each header with its name', () => {
    expect(recordSizeBound({ key: null, value: null })).toBe(32);
    expect(recordSizeBound({ key: Buffer.alloc(3), value: Buffer.alloc(10) })).toBe(45);
    expect(recordSizeBound({ key: null, value: null, headers: { 'cdc.seq': '12' } })).toBe(32 + 10 + 7 + 2);
  });

  it('counts text in UTF-8 bytes and every value of a repeated header', () => {
    expect(recordSizeBound({ key: 'é', value: 'ü', headers: { h: 'ß' } })).toBe(32 + 2 + 2 + 10 + 1 + 2);
    expect(recordSizeBound({ value: null, headers: { h: ['ab', Buffer.alloc(3)], gone: undefined } })).toBe(
      32 + (10 + 1 + 2) + (10 + 1 + 3),
    );
  });
});

describe('sendBudget', () => {
  it('stays under the smallest limit of the topics written, by the batch overhead', () => {
    expect(sendBudget([2_000_000, 500_000])).toBe(500_000 - BATCH_OVERHEAD_BYTES);
    expect(sendBudget([10_000_000])).toBe(10_000_000 - BATCH_OVERHEAD_BYTES);
  });

  it("takes the broker's default for topics whose limit is not known, and for none", () => {
    expect(sendBudget([undefined, 5_000_000])).toBe(DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES);
    expect(sendBudget([])).toBe(DEFAULT_SEND_BUDGET);
  });

  it('is never below one byte', () => {
    expect(sendBudget([100])).toBe(1);
  });
});

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

  it('caps the records per request when asked to', () => {
    const messages = Array.from({ length: 2500 }, (_, i) => record(i, 1));
    const sizes = (max?: number) =>
      splitRequests([{ topic: 'out', messages }], 10_000_000, max).map(
        (request) => request[0]?.messages.length,
      );
    expect(sizes(MAX_RECORDS_PER_REQUEST)).toEqual([1000, 1000, 500]);
    expect(sizes()).toEqual([2500]);
  });

  it('puts runs of one topic that meet in a request into one entry, keeping their order', () => {
    const requests = splitRequests(
      [
        { topic: 'a', messages: [record(1)] },
        { topic: 'b', messages: [record(2)] },
        { topic: 'a', messages: [record(3), record(4)] },
      ],
      400,
    );
    expect(keys(requests)).toEqual([['a:1,3', 'b:2'], ['a:4']]);
  });
});
