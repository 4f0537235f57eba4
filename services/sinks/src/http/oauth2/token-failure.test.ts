import { afterEach, describe, expect, it } from 'vitest';
import { type CdcError, isTransient, needsOperator } from '@cdc/core';
import { answer, startTestServer, type TestServer } from '../test-server.ts';
import { oauth2Setting } from './settings.ts';
import { TokenSource } from './token-source.ts';
import { closedPort, failureOf as anyFailureOf } from '../test-failures.ts';

const SECRET = 'never-shown-secret';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function sourceAt(tokenUrl: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const config = oauth2Setting.parse({
    token_url: tokenUrl,
    client_id: 'cdc-pipeline',
    client_secret: SECRET,
  });
  return new TokenSource(config, { path: 'sinks[2].auth', ...options });
}

async function failureOf(promise: Promise<unknown>): Promise<CdcError> {
  const failure = await anyFailureOf(promise);
  expect(JSON.stringify({ failure, message: failure.message, fix: failure.fix })).not.toContain(SECRET);
  return failure;
}

describe('token endpoint failures', () => {
  it('an endpoint nobody listens on is retriable (HTTP_TARGET_UNAVAILABLE)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/oauth2/token`;
    const failure = await failureOf(sourceAt(url).start());
    expect(failure.code).toBe('HTTP_TARGET_UNAVAILABLE');
    expect(isTransient(failure)).toBe(true);
    expect(failure.message).toContain(`POST ${url} failed`);
    expect(failure.message).toContain('sinks[2].auth.token_url');
  });

  it('5xx and 429 are retriable, with their Retry-After', async () => {
    server = await startTestServer((req, res) =>
      req.path === '/busy'
        ? answer(res, 429, '{"error":"slow_down"}', {
            'content-type': 'application/json',
            'retry-after': '7',
          })
        : answer(res, 503, '<html>down for maintenance</html>', { 'content-type': 'text/html' }),
    );
    const busy = await failureOf(sourceAt(`${server.url}/busy`).token());
    expect(busy).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
    expect(busy.details).toMatchObject({ status: 429, error: 'slow_down', retryAfterMs: 7000 });
    expect(busy.message).toContain('answered 429 Too Many Requests, slow_down');
    const down = await failureOf(sourceAt(`${server.url}/token`).token());
    expect(isTransient(down)).toBe(true);
    expect(down.message).toBe(
      `OAuth2 token endpoint ${server.url}/token (sinks[2].auth.token_url) is unavailable: ` +
        'it answered 503 Service Unavailable: <html>down for maintenance</html>',
    );
  });

  it('an endpoint that does not answer in time is retriable', async () => {
    server = await startTestServer(() => undefined);
    const failure = await failureOf(sourceAt(`${server.url}/token`, { timeoutMs: 200 }).token());
    expect(failure.code).toBe('HTTP_TARGET_UNAVAILABLE');
    expect(failure.message).toContain('got no answer within 200 ms');
    expect(isTransient(failure)).toBe(true);
  });

  it('the service’s stop ends a request under way with its reason', async () => {
    server = await startTestServer(() => undefined);
    const stop = new AbortController();
    const pending = sourceAt(`${server.url}/token`, { signal: stop.signal }).token();
    setTimeout(() => stop.abort(new Error('stopping')), 50);
    await expect(pending).rejects.toThrow('stopping');
  });

  it('a wrong token URL needs an operator: 404, a redirect, or a 200 that is no token', async () => {
    server = await startTestServer((req, res) => {
      if (req.path === '/moved') answer(res, 308, '', { location: 'https://auth.example/token' });
      else if (req.path === '/page') answer(res, 200, '<html>login</html>', { 'content-type': 'text/html' });
      else if (req.path === '/dpop') {
        const token = { access_token: 'x', token_type: 'DPoP', expires_in: 60 };
        answer(res, 200, JSON.stringify(token), { 'content-type': 'application/json' });
      } else answer(res, 404, 'Not Found');
    });
    const missing = await failureOf(sourceAt(`${server.url}/nothing?key=q`).start());
    expect(needsOperator(missing)).toBe(true);
    expect(missing.message).toBe(
      `OAuth2 token endpoint ${server.url}/nothing refused client cdc-pipeline (sinks[2].auth): 404 Not Found: Not Found`,
    );
    expect(missing.fix).toContain('correct sinks[2].auth.token_url');
    const moved = await failureOf(sourceAt(`${server.url}/moved`).start());
    expect(moved.fix).toContain('redirect to https://auth.example/token');
    const page = await failureOf(sourceAt(`${server.url}/page`).start());
    expect(page.code).toBe('HTTP_TARGET_MISCONFIGURED');
    expect(page.message).toContain('answered 200 without a usable access token');
    expect(page.fix).toContain('check sinks[2].auth.token_url');
    const dpop = await failureOf(sourceAt(`${server.url}/dpop`).start());
    expect(dpop.message).toContain('its token_type is dpop');
    // Port 1 is one fetch refuses to connect to: nothing to wait for.
    const blocked = await failureOf(sourceAt('http://127.0.0.1:1/token').start());
    expect(needsOperator(blocked)).toBe(true);
    expect(blocked.message).toContain('POST http://127.0.0.1:1/token could not be sent');
    expect(blocked.fix).toBe(
      'correct sinks[2].auth.token_url: it must be the OAuth2 token endpoint of the API',
    );
  });

  it('reads the error of a 401 from its WWW-Authenticate challenge', async () => {
    server = await startTestServer((_req, res) =>
      answer(res, 401, '', {
        'www-authenticate': 'Basic realm="token", error="invalid_client", error_description="unknown client"',
      }),
    );
    const failure = await failureOf(sourceAt(`${server.url}/token`).start());
    expect(needsOperator(failure)).toBe(true);
    expect(failure.message).toMatch(/: 401 Unauthorized, invalid_client: unknown client$/u);
    expect(failure.fix).toContain('correct sinks[2].auth.client_secret');
  });

  it('reads the error from the body when the challenge has none, or it came as text', async () => {
    server = await startTestServer((req, res) =>
      answer(
        res,
        req.path === '/text' ? 400 : 401,
        '{"error":"invalid_client","error_description":"expired secret"}',
        {
          ...(req.path === '/text'
            ? {}
            : { 'www-authenticate': 'Basic realm="token"', 'content-type': 'application/json' }),
        },
      ),
    );
    for (const path of ['/challenge', '/text']) {
      const failure = await failureOf(sourceAt(`${server.url}${path}`).start());
      expect(failure.message).toMatch(/, invalid_client: expired secret$/u);
      expect(failure.details).toMatchObject({ error: 'invalid_client', errorDescription: 'expired secret' });
    }
  });

  it('tries again after a failure: nothing failed is cached', async () => {
    let calls = 0;
    server = await startTestServer((_req, res) => {
      calls += 1;
      if (calls === 1) answer(res, 502, 'bad gateway');
      else {
        const token = { access_token: 'tok-2', token_type: 'bearer', expires_in: 60 };
        answer(res, 200, JSON.stringify(token), { 'content-type': 'application/json' });
      }
    });
    const source = sourceAt(`${server.url}/token`);
    await failureOf(source.token());
    expect(await source.token()).toBe('tok-2');
    expect(source.counters.tokensIssued).toBe(1);
  });
});
