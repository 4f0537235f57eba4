import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { needsOperator } from '@cdc/core';
import { requestFailure, responseFailure, shownUrl, verdictOf } from './http-failure.ts';

const exchange = { target: 'api', method: 'POST', url: 'https://api.example/v1/pages' };

/** What undici's request (HttpTarget's client) throws when a request could not be made. */
async function requestError(url: string, options?: Parameters<typeof request>[1]): Promise<unknown> {
  return request(url, options).then(
    () => undefined,
    (error: unknown) => error,
  );
}

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('verdictOf', () => {
  it('reads a status the same way for every HTTP sink', () => {
    const verdicts = Object.fromEntries(
      [
        200, 201, 204, 299, 302, 304, 400, 401, 403, 404, 408, 409, 413, 422, 425, 429, 500, 503, 529, 599,
      ].map((s) => [s, verdictOf(s)]),
    );
    expect(verdicts).toEqual({
      200: 'ok',
      201: 'ok',
      204: 'ok',
      299: 'ok',
      302: 'final',
      304: 'final',
      400: 'final',
      401: 'operator',
      403: 'final',
      404: 'final',
      408: 'retriable',
      409: 'final',
      413: 'final',
      422: 'final',
      425: 'retriable',
      429: 'retriable',
      500: 'retriable',
      503: 'retriable',
      529: 'retriable',
      599: 'retriable',
    });
  });
});

describe('responseFailure', () => {
  it('carries the Retry-After of a 503 as a hint, and the body on one line', () => {
    const failure = responseFailure(
      exchange,
      { status: 503, headers: { 'retry-after': '7' }, body: 'down\n  for maintenance\n' },
      'retriable',
      Date.now(),
    );
    expect(failure.message).toBe(
      'HTTP target api is unavailable: POST https://api.example/v1/pages answered 503 Service Unavailable (retry after 7 s): down for maintenance',
    );
    expect(failure.details).toMatchObject({ status: 503, retryAfterMs: 7000 });
  });

  it('names Notion’s 529 and leaves an empty body out', () => {
    const failure = responseFailure(exchange, { status: 529, headers: {}, body: '' }, 'retriable', 0);
    expect(failure.message).toBe(
      'HTTP target api is unavailable: POST https://api.example/v1/pages answered 529 Site Overloaded',
    );
    expect(failure.details.retryAfterMs).toBeUndefined();
  });
});

describe('requestFailure', () => {
  it('counts network failures and timeouts as retriable, with the problem in words', () => {
    const cases = [
      [socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.example'), 'host not found'],
      [socketError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.example'), 'host name lookup failed'],
      [socketError('ECONNRESET', 'read ECONNRESET'), 'connection reset'],
      [socketError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), 'Headers Timeout Error'],
      [
        new AggregateError([
          Object.assign(new Error('connect ECONNREFUSED ::1:80'), { code: 'ECONNREFUSED' }),
        ]),
        'connection refused',
      ],
    ] as const;
    for (const [error, words] of cases) {
      const failure = requestFailure(exchange, error);
      expect([failure.code, failure.retriable, failure.message]).toEqual([
        'HTTP_TARGET_UNAVAILABLE',
        true,
        `HTTP target api is unavailable: POST https://api.example/v1/pages failed: ${words}`,
      ]);
    }
    const timeouts = [
      ['UND_ERR_CONNECT_TIMEOUT', 'could not connect within 250 ms'],
      ['UND_ERR_HEADERS_TIMEOUT', 'got no answer within 250 ms'],
      ['UND_ERR_BODY_TIMEOUT', 'got an answer whose body stalled for 250 ms'],
    ] as const;
    for (const [code, words] of timeouts) {
      const timedOut = requestFailure(exchange, socketError(code, 'Timeout Error'), 250);
      expect([timedOut.code, timedOut.retriable, timedOut.message]).toEqual([
        'HTTP_TARGET_UNAVAILABLE',
        true,
        `HTTP target api is unavailable: POST https://api.example/v1/pages ${words}`,
      ]);
    }
  });

  it('stops for an operator when the target cannot be reached as configured', async () => {
    const altName = requestFailure(
      exchange,
      socketError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
    );
    expect([altName.code, needsOperator(altName)]).toEqual(['HTTP_TARGET_MISCONFIGURED', true]);
    const tls = requestFailure(
      exchange,
      socketError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
    );
    expect([tls.code, needsOperator(tls)]).toEqual(['HTTP_TARGET_MISCONFIGURED', true]);
    expect(tls.message).toContain('unable to verify the first certificate');
  });

  it('refuses for good a request the client would not send', async () => {
    const error = await requestError('http://127.0.0.1:9/', { headers: { 'x-name': 'line\nbreak' } });
    const failure = requestFailure(exchange, error);
    expect([failure.code, failure.retriable]).toEqual(['HTTP_TARGET_REFUSED', false]);
    expect(failure.message).toContain('could not be sent: invalid x-name header');
  });
});

describe('shownUrl', () => {
  it('shows no credentials, query or fragment, and only the origin when asked', () => {
    const url = new URL('https://user:pw@hooks.example:8443/services/T0/B0/secret?token=abc#x');
    expect(shownUrl(url)).toBe('https://hooks.example:8443/services/T0/B0/secret');
    expect(shownUrl(url, 'origin')).toBe('https://hooks.example:8443');
  });
});
