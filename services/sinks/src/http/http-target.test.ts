import { afterEach, describe, expect, it } from 'vitest';
import { needsOperator } from '@cdc/core';
import { HttpTarget } from './http-target.ts';
import { answer, startTestServer, type TestServer } from './test-server.ts';
import { closedPort, failureOf } from './test-failures.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('HttpTarget', () => {
  it('sends the request and returns the answer of a 2xx', async () => {
    server = await startTestServer((req, res) =>
      answer(res, req.method === 'GET' ? 200 : 201, `got ${req.body}`, { 'x-answer': 'yes' }),
    );
    const target = new HttpTarget({ name: 'hooks', url: `${server.url}/api/`, timeoutMs: 5000 });
    const created = await target.request({
      url: 'events?x=1',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: '{"id":1}',
    });
    expect(created).toMatchObject({ status: 201, body: 'got {"id":1}' });
    expect(created.headers['x-answer']).toBe('yes');
    const read = await target.request({});
    expect(read.status).toBe(200);
    expect(server.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/events?x=1',
      'GET /api/',
    ]);
    expect(server.received[0]?.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'content-type': 'application/json',
    });
    expect(target.counters).toEqual({ requests: 2, retriableFailures: 0, refusals: 0, lastStatus: 200 });
  });

  it('classifies every answer: 408, 425, 429 and 5xx retriable, 401 for an operator, other 4xx and 3xx final', async () => {
    server = await startTestServer((req, res) => {
      const status = Number(req.path.slice(1));
      answer(
        res,
        status,
        `answer ${status}`,
        status === 302 ? { location: 'https://elsewhere.example/' } : {},
      );
    });
    const target = new HttpTarget({ name: 'api', url: server.url, timeoutMs: 5000 });
    const seen: Record<number, string> = {};
    for (const status of [408, 425, 429, 500, 502, 503, 504, 529, 400, 403, 404, 409, 422, 302, 401]) {
      const failure = await failureOf(target.request({ url: `/${status}`, body: 'x' }));
      seen[status] =
        `${failure.code}${failure.retriable ? ' retriable' : ''}${needsOperator(failure) ? ' operator' : ''}`;
    }
    const unavailable = 'HTTP_TARGET_UNAVAILABLE retriable';
    const refused = 'HTTP_TARGET_REFUSED';
    expect(seen).toEqual({
      408: unavailable,
      425: unavailable,
      429: unavailable,
      500: unavailable,
      502: unavailable,
      503: unavailable,
      504: unavailable,
      529: unavailable,
      400: refused,
      403: refused,
      404: refused,
      409: refused,
      422: refused,
      302: refused,
      401: 'HTTP_TARGET_MISCONFIGURED retriable operator',
    });
    expect(target.counters).toEqual({ requests: 15, retriableFailures: 8, refusals: 7, lastStatus: 401 });
    const moved = await failureOf(target.request({ url: '/302' }));
    expect(moved.message).toContain('redirects are not followed: it points to https://elsewhere.example/');
    expect(server.received.filter((r) => r.path === '/302')).toHaveLength(2); // not followed
  });

  it('says which target refused what, with the answer body, and never the request headers or query', async () => {
    const body = `{"error":"invalid field \\"dob\\""}${' padding'.repeat(500)}`;
    server = await startTestServer((_req, res) => answer(res, 422, body));
    const target = new HttpTarget({ name: 'fhir', url: server.url, timeoutMs: 5000 });
    const refused = await failureOf(
      target.request({
        url: '/Patient/1?api_key=qwerty',
        method: 'put',
        headers: { authorization: 'Bearer s3cret-token' },
        body: '{}',
      }),
    );
    expect(refused.code).toBe('HTTP_TARGET_REFUSED');
    expect(refused.retriable).toBe(false);
    expect(refused.message).toMatch(
      new RegExp(
        `^HTTP target fhir refused PUT ${server.url}/Patient/1: 422 Unprocessable Entity: \\{"error":"invalid field \\\\"dob\\\\""\\} padding`,
      ),
    );
    expect(refused.message).toContain(`… (${body.length} characters in all)`);
    expect(refused.message.length).toBeLessThan(2200);
    expect(JSON.stringify({ message: refused.message, details: refused.details })).not.toMatch(
      /s3cret|qwerty/,
    );

    const secretPath = new HttpTarget({
      name: 'slack',
      url: `${server.url}/services/T0/B0/XyZ`,
      timeoutMs: 5000,
      urlShown: 'origin',
    });
    const hidden = await failureOf(secretPath.request({ body: '{}' }));
    expect(hidden.message).toContain(`refused POST ${server.url}: 422`);
    expect(hidden.message).not.toContain('XyZ');
  });

  it('honours Retry-After for the whole target: no request arrives before it', async () => {
    let sentAt = 0;
    server = await startTestServer((req, res) => {
      if (req.path === '/first') {
        sentAt = Date.now();
        answer(res, 429, 'slow down', { 'retry-after': '1' });
      } else answer(res, 200, 'ok');
    });
    const target = new HttpTarget({ name: 'notion', url: server.url, timeoutMs: 5000 });
    const limited = await failureOf(target.request({ url: '/first', body: '{}' }));
    expect(limited.retriable).toBe(true);
    expect(limited.details.retryAfterMs).toBe(1000);
    expect(limited.message).toContain('answered 429 Too Many Requests (retry after 1 s): slow down');
    // Another request, for another path, right away: the budget holds it back.
    await target.request({ url: '/second', body: '{}' });
    const second = server.received.find((r) => r.path === '/second');
    // The pause starts when the 429 arrived (after the server sent it) and the budget compares the
    // same clock before it lets a request go: exact, whatever the machine's load.
    expect((second?.atMs ?? 0) - sentAt).toBeGreaterThanOrEqual(1000);
  });

  it('takes a Retry-After only from 429, 503 and 529', async () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    server = await startTestServer((req, res) =>
      answer(res, Number(req.path.slice(1)), '', { 'retry-after': inAMinute }),
    );
    const target = new HttpTarget({ name: 'api', url: server.url, timeoutMs: 5000 });
    const overloaded = await failureOf(target.request({ url: '/529' }));
    expect(overloaded.details.retryAfterMs).toBeGreaterThan(30_000); // an HTTP-date, read against our clock
    expect(overloaded.details.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(target.budget.pausedUntil).toBeDefined();

    const other = new HttpTarget({ name: 'api', url: server.url, timeoutMs: 5000 });
    const failed = await failureOf(other.request({ url: '/500' }));
    expect(failed.retriable).toBe(true);
    expect(failed.details.retryAfterMs).toBeUndefined();
    expect(other.budget.pausedUntil).toBeUndefined();
  });

  it('lets a kind read answers its own way', async () => {
    server = await startTestServer((_req, res) => answer(res, 403, '{"reason":"rateLimitExceeded"}'));
    const target = new HttpTarget({
      name: 'calendar',
      url: server.url,
      timeoutMs: 5000,
      classify: (response) =>
        response.status === 403 && response.body.includes('rateLimitExceeded') ? 'retriable' : undefined,
    });
    const failure = await failureOf(target.request({}));
    expect([failure.code, failure.retriable]).toEqual(['HTTP_TARGET_UNAVAILABLE', true]);
  });

  it('keeps to its request budget', async () => {
    server = await startTestServer((_req, res) => answer(res, 204));
    const start = performance.now();
    const target = new HttpTarget({
      name: 'api',
      url: server.url,
      timeoutMs: 5000,
      budget: { requestsPerSecond: 10, burst: 2 },
    });
    await Promise.all(Array.from({ length: 5 }, () => target.request({})));
    const after = server.received.map((r) => r.atPerf - start).sort((a, b) => a - b);
    // Lower bounds only: the third request may go after 100 ms, the fourth after 200, ...
    after.slice(2).forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(100 * (i + 1) - 0.5));
  });

  it('has at most `concurrency` requests in flight, whoever sends them', async () => {
    let inFlight = 0;
    let most = 0;
    server = await startTestServer((_req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        answer(res, 204);
      }, 30);
    });
    const target = new HttpTarget({ name: 'api', url: server.url, timeoutMs: 5000, concurrency: 2 });
    await Promise.all(Array.from({ length: 8 }, () => target.request({ body: 'x' })));
    expect(server.received).toHaveLength(8);
    expect(most).toBe(2);
  });

  it('retries (as a retriable failure) a refused connection, a dropped one and a target that does not answer in time', async () => {
    const refusedPort = await closedPort();
    const nobody = new HttpTarget({ name: 'away', url: `http://127.0.0.1:${refusedPort}`, timeoutMs: 5000 });
    const refused = await failureOf(nobody.request({ body: 'x' }));
    expect([refused.code, refused.retriable]).toEqual(['HTTP_TARGET_UNAVAILABLE', true]);
    expect(refused.message).toBe(
      `HTTP target away is unavailable: POST http://127.0.0.1:${refusedPort}/ failed: connection refused`,
    );
    expect(nobody.counters).toMatchObject({ requests: 1, retriableFailures: 1, lastStatus: undefined });

    server = await startTestServer((req, res) => {
      if (req.path === '/drop') res.socket?.destroy();
      else if (req.path === '/half') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      }
      // /silent: never answers
    });
    const target = new HttpTarget({ name: 'flaky', url: server.url, timeoutMs: 300 });
    const dropped = await failureOf(target.request({ url: '/drop' }));
    expect([dropped.code, dropped.retriable]).toEqual(['HTTP_TARGET_UNAVAILABLE', true]);
    expect(dropped.message).toContain('failed: connection closed');
    const half = await failureOf(target.request({ url: '/half' }));
    expect([half.code, half.retriable]).toEqual(['HTTP_TARGET_UNAVAILABLE', true]);
    const silent = await failureOf(target.request({ url: '/silent' }));
    expect([silent.code, silent.retriable]).toEqual(['HTTP_TARGET_UNAVAILABLE', true]);
    expect(silent.message).toBe(
      `HTTP target flaky is unavailable: GET ${server.url}/silent got no answer within 300 ms`,
    );
  });

  it('ends a request under way, or waiting for its turn, when the service stops', async () => {
    server = await startTestServer(() => undefined); // never answers
    const controller = new AbortController();
    const target = new HttpTarget({
      name: 'api',
      url: server.url,
      timeoutMs: 60_000,
      signal: controller.signal,
      budget: { requestsPerSecond: 0.01, burst: 1 },
    });
    const underWay = target.request({});
    const waiting = target.request({});
    while (server.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('stopping'));
    // Both awaited together: either may end first.
    await Promise.all([
      expect(underWay).rejects.toThrow('stopping'),
      expect(waiting).rejects.toThrow('stopping'),
    ]);
    expect(server.received).toHaveLength(1);
  });
});
