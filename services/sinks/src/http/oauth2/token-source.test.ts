import { afterEach, describe, expect, it } from 'vitest';
import { needsOperator } from '@cdc/core';
import { Events, type MutableResponse } from 'oauth2-mock-server';
import { oauth2Setting, type OAuth2Input } from './settings.ts';
import { startMockTokenEndpoint, type MockTokenEndpoint } from './test-mock-server.ts';
import { TokenSource } from './token-source.ts';
import { failureOf } from '../test-failures.ts';

const CLIENT_ID = 'cdc-pipeline';
const SECRET = 's3cret-Ministry+value/42';
const PATH = 'sinks[0].auth';

let endpoint: MockTokenEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

/** A clock the tests move by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function sourceFor(server: MockTokenEndpoint, auth: Partial<OAuth2Input> = {}, now?: () => number) {
  const config = oauth2Setting.parse({
    token_url: server.tokenUrl,
    client_id: CLIENT_ID,
    client_secret: SECRET,
    ...auth,
  });
  return new TokenSource(config, { path: PATH, ...(now ? { now } : {}) });
}

describe('TokenSource with a client secret', () => {
  it('sends it with HTTP Basic by default (client_secret_basic), with the scope', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const source = sourceFor(endpoint, { scope: 'system/Patient.write system/Immunization.write' });
    await source.start();
    expect(endpoint.requests).toEqual([
      {
        method: 'basic',
        clientId: CLIENT_ID,
        secret: SECRET,
        scope: 'system/Patient.write system/Immunization.write',
        grantType: 'client_credentials',
      },
    ]);
    const token = await source.token();
    expect(token).toBe(endpoint.issued[0]);
    await expect(endpoint.verify(token)).resolves.toMatchObject({
      scope: 'system/Patient.write system/Immunization.write',
    });
    expect(source.counters).toEqual({ tokensIssued: 1, refreshesOn401: 0 });
  });

  it('sends it in the form with client_auth: post (client_secret_post)', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const source = sourceFor(endpoint, { client_auth: 'post' });
    expect(await source.token()).toBe(endpoint.issued[0]);
    expect(endpoint.requests).toMatchObject([
      { method: 'post', clientId: CLIENT_ID, secret: SECRET, scope: undefined },
    ]);
  });

  it('reads the secret from a variable or file when start() runs, and says which one is missing', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    process.env['OAUTH2_TEST_SECRET'] = SECRET;
    try {
      await sourceFor(endpoint, { client_secret: { env: 'OAUTH2_TEST_SECRET' } }).start();
    } finally {
      delete process.env['OAUTH2_TEST_SECRET'];
    }
    const missing = await failureOf(
      sourceFor(endpoint, { client_secret: { env: 'OAUTH2_TEST_SECRET' } }).start(),
    );
    expect(missing.code).toBe('SECRET_UNREADABLE');
    expect(missing.message).toContain('sinks[0].auth.client_secret');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('caches the token: concurrent and later calls share one request', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const source = sourceFor(endpoint);
    const tokens = await Promise.all([source.token(), source.token(), source.token(), source.token()]);
    expect(await source.token()).toBe(tokens[0]);
    expect(new Set(tokens)).toEqual(new Set([endpoint.issued[0]]));
    expect(endpoint.requests).toHaveLength(1);
    expect(source.counters.tokensIssued).toBe(1);
  });

  it('refreshes ahead of expiry: 30 s before a long-lived token expires, 10% of a short one’s lifetime', async () => {
    const clock = manualClock();
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET, now: clock.now });
    const source = sourceFor(endpoint, {}, clock.now);
    endpoint.expiresIn = 3600;
    const first = await source.token();
    clock.advance(3569_999);
    expect(await source.token()).toBe(first);
    clock.advance(1);
    endpoint.expiresIn = 60;
    const second = await source.token();
    expect(second).not.toBe(first);
    clock.advance(53_999);
    expect(await source.token()).toBe(second);
    clock.advance(1);
    const third = await source.token();
    expect(third).not.toBe(second);
    expect(endpoint.requests).toHaveLength(3);
    expect(source.counters).toEqual({ tokensIssued: 3, refreshesOn401: 0 });
  });

  it('assumes 300 s for a token answered without expires_in', async () => {
    const clock = manualClock();
    endpoint = await startMockTokenEndpoint({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      now: clock.now,
      expiresIn: undefined,
    });
    const source = sourceFor(endpoint, {}, clock.now);
    const first = await source.token();
    clock.advance(269_999);
    expect(await source.token()).toBe(first);
    clock.advance(1);
    expect(await source.token()).not.toBe(first);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('after a 401, concurrent callers that invalidate the same token cause one new request', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const source = sourceFor(endpoint);
    const refused = await source.token();
    const callers = Array.from({ length: 8 }, async () => {
      const token = await source.token();
      source.invalidate(token);
      return source.token();
    });
    const renewed = await Promise.all(callers);
    expect(new Set(renewed)).toEqual(new Set([endpoint.issued[1]]));
    expect(renewed[0]).not.toBe(refused);
    expect(endpoint.requests).toHaveLength(2);
    expect(source.counters).toEqual({ tokensIssued: 2, refreshesOn401: 1 });
  });

  it('invalidating an old token leaves the newer one alone', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const source = sourceFor(endpoint);
    const old = await source.token();
    source.invalidate(old);
    const newer = await source.token();
    expect(newer).not.toBe(old);
    source.invalidate(old); // a caller whose 401 came late
    source.invalidate('a token never issued');
    expect(await source.token()).toBe(newer);
    expect(endpoint.requests).toHaveLength(2);
    expect(source.counters).toEqual({ tokensIssued: 2, refreshesOn401: 1 });
  });

  it('invalidating while a refresh is under way joins it', async () => {
    const clock = manualClock();
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET, now: clock.now });
    const source = sourceFor(endpoint, {}, clock.now);
    const old = await source.token();
    clock.advance(3600_000);
    const refreshing = source.token();
    source.invalidate(old); // already due: nothing more to drop
    const [a, b] = await Promise.all([refreshing, source.token()]);
    expect(a).toBe(b);
    expect(endpoint.requests).toHaveLength(2);
  });

  it('fails start() for an operator when the secret is refused, naming the token URL and the setting, never the secret', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: 'the-right-one' });
    for (const clientAuth of ['basic', 'post'] as const) {
      const source = sourceFor(endpoint, { client_auth: clientAuth });
      const failure = await failureOf(source.start());
      expect(needsOperator(failure)).toBe(true);
      expect(failure.code).toBe('HTTP_TARGET_MISCONFIGURED');
      expect(failure.message).toBe(
        `OAuth2 token endpoint ${endpoint.tokenUrl} refused client ${CLIENT_ID} (sinks[0].auth): ` +
          '401 Unauthorized, invalid_client: client authentication failed',
      );
      expect(failure.fix).toContain('correct sinks[0].auth.client_secret');
      expect(failure.details).toMatchObject({
        setting: PATH,
        tokenUrl: endpoint.tokenUrl,
        status: 401,
        error: 'invalid_client',
      });
      for (const text of [failure.message, failure.fix, failure.describe(), JSON.stringify(failure)]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(encodeURIComponent(SECRET));
      }
      expect(JSON.stringify(failure.details)).not.toContain(SECRET);
      expect(source.counters.tokensIssued).toBe(0);
    }
  });

  it('hides the secret when the token endpoint echoes it', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    endpoint.server.service.once(Events.BeforeResponse, (response: MutableResponse) => {
      response.statusCode = 400;
      response.body = {
        error: 'invalid_client',
        error_description: `unknown secret ${SECRET} for ${CLIENT_ID}`,
      };
    });
    const failure = await failureOf(sourceFor(endpoint, { client_auth: 'post' }).start());
    expect(failure.message).toContain(`400 Bad Request, invalid_client: unknown secret *** for ${CLIENT_ID}`);
    expect(JSON.stringify({ failure, details: failure.details, message: failure.message })).not.toContain(
      SECRET,
    );
  });

  it('names the setting the refusal points at: the scope, the grant', async () => {
    endpoint = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET });
    const refuse = (error: string) =>
      endpoint!.server.service.once(Events.BeforeResponse, (response: MutableResponse) => {
        response.statusCode = 400;
        response.body = { error };
      });
    refuse('invalid_scope');
    const scope = await failureOf(sourceFor(endpoint, { scope: 'system/*.*' }).start());
    expect(scope.message).toMatch(/: 400 Bad Request, invalid_scope$/u);
    expect(scope.fix).toContain('correct sinks[0].auth.scope');
    refuse('unauthorized_client');
    const grant = await failureOf(sourceFor(endpoint).start());
    expect(grant.fix).toContain('allow the client_credentials grant for client cdc-pipeline');
    expect(needsOperator(scope) && needsOperator(grant)).toBe(true);
  });
});
