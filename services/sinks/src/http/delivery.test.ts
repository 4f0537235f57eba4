import { afterEach, describe, expect, it } from 'vitest';
import { CdcError, Readiness, needsOperator, retrying } from '@cdc/core';
import { DeliveredIds, deliverBatch, type DeliveryOptions } from './delivery.ts';
import { HttpTarget } from './http-target.ts';
import { answer, startTestServer, type TestServer } from './test-server.ts';

interface Change {
  readonly id: string;
  readonly key: string;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function delivery(target: HttpTarget, delivered = new DeliveredIds(100)): DeliveryOptions<Change> {
  return {
    idOf: (c) => c.id,
    keyOf: (c) => c.key,
    concurrency: 3,
    delivered,
    send: (c) => target.request({ url: `/${c.id}`, body: JSON.stringify(c) }),
  };
}

const batch: Change[] = [
  { id: 'a1', key: 'a' },
  { id: 'a2', key: 'a' },
  { id: 'b1', key: 'b' },
  { id: 'c1', key: 'c' },
  { id: 'c2', key: 'c' },
  { id: 'd1', key: 'd' },
];

describe('deliverBatch', () => {
  it('dead-letters a refused event with the answer, retries the batch for a busy target, and sends only what is left', async () => {
    let c1Attempts = 0;
    server = await startTestServer((req, res) => {
      if (req.path === '/b1') return answer(res, 400, '{"message":"field dob is not a date"}');
      if (req.path === '/c1' && ++c1Attempts === 1) return answer(res, 503, 'busy');
      answer(res, 200, 'ok');
    });
    const target = new HttpTarget({ name: 'hooks', url: server.url, timeoutMs: 5000 });
    const options = delivery(target);

    const busy = await deliverBatch(batch, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(busy).toBeInstanceOf(CdcError);
    expect(busy).toMatchObject({
      code: 'HTTP_TARGET_UNAVAILABLE',
      retriable: true,
      details: { undelivered: 2 },
    });
    expect((busy as CdcError).message).toMatch(
      /^2 of 6 events not delivered yet: HTTP target hooks is unavailable: /,
    );
    const first = server.received.map((r) => r.path);
    expect(first.filter((p) => p === '/c2')).toEqual([]); // never ahead of c1
    expect([...first].sort()).toEqual(['/a1', '/a2', '/b1', '/c1', '/d1']);

    const outcomes = await deliverBatch(batch, options);
    expect(outcomes).toEqual([
      { kind: 'written' },
      { kind: 'written' },
      {
        kind: 'failed',
        reason: `HTTP target hooks refused POST ${server.url}/b1: 400 Bad Request: {"message":"field dob is not a date"}`,
      },
      { kind: 'written' },
      { kind: 'written' },
      { kind: 'written' },
    ]);
    // Only what was not delivered went again: the refused b1 and c1, c2 of the key that waited.
    const again = server.received.slice(first.length).map((r) => r.path);
    expect([...again].sort()).toEqual(['/b1', '/c1', '/c2']);
    expect(again.indexOf('/c1')).toBeLessThan(again.indexOf('/c2'));
  });

  it('through the runtime’s retry: waits out a 429’s Retry-After, and delivers each event once', async () => {
    let limitedAt = 0;
    server = await startTestServer((req, res) => {
      if (limitedAt === 0 && req.path === '/c1') {
        limitedAt = Date.now();
        return answer(res, 429, 'too many', { 'retry-after': '1' });
      }
      answer(res, 204);
    });
    const target = new HttpTarget({ name: 'hooks', url: server.url, timeoutMs: 5000 });
    const options = delivery(target);
    const controller = new AbortController();
    const outcomes = await retrying(() => deliverBatch(batch, options), {
      readiness: new Readiness(),
      signal: controller.signal,
      backoff: { minMs: 1, maxMs: 2 }, // only the Retry-After can hold the next attempt back
      dependency: () => 'target',
    });
    expect(outcomes.every((o) => o.kind === 'written')).toBe(true);
    const paths = server.received.map((r) => r.path);
    expect([...paths].sort()).toEqual(['/a1', '/a2', '/b1', '/c1', '/c1', '/c2', '/d1']);
    const later = server.received.filter((r) => r.atMs > limitedAt && r.path.startsWith('/c'));
    expect(later.map((r) => r.path)).toEqual(['/c1', '/c2']);
    // Measured at the server; the pause is exact on the clock it compares (see http-target.test.ts).
    for (const request of later) expect(request.atMs - limitedAt).toBeGreaterThanOrEqual(1000);
  });

  it('carries the longest Retry-After of the failures', async () => {
    server = await startTestServer((req, res) =>
      answer(res, req.path === '/a1' ? 429 : 503, '', { 'retry-after': req.path === '/a1' ? '2' : '5' }),
    );
    // Two targets, so that the first pause does not hold the second request back.
    const one = new HttpTarget({ name: 'one', url: server.url, timeoutMs: 5000 });
    const two = new HttpTarget({ name: 'two', url: server.url, timeoutMs: 5000 });
    const error = await deliverBatch(
      [
        { id: 'a1', key: 'a' },
        { id: 'b1', key: 'b' },
      ],
      {
        ...delivery(one),
        send: (c) => (c.key === 'a' ? one : two).request({ url: `/${c.id}`, body: '{}' }),
      },
    ).then(
      () => undefined,
      (e: unknown) => e as CdcError,
    );
    expect(error?.details.retryAfterMs).toBe(5000);
  });

  it('throws what needs an operator as it is', async () => {
    server = await startTestServer((req, res) =>
      answer(res, req.path === '/b1' ? 401 : 200, 'invalid token'),
    );
    const target = new HttpTarget({ name: 'notion', url: server.url, timeoutMs: 5000 });
    const options = delivery(target);
    const error = await deliverBatch(batch, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(needsOperator(error)).toBe(true);
    expect((error as CdcError).code).toBe('HTTP_TARGET_MISCONFIGURED');
    expect(options.delivered.has('a1')).toBe(true); // what was delivered is not sent again after the fix
  });
});

describe('DeliveredIds', () => {
  it('forgets the oldest beyond its size', () => {
    const ids = new DeliveredIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('a'); // the newest again
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([true, false, true, 2]);
    expect(() => new DeliveredIds(0)).toThrow(RangeError);
  });
});
