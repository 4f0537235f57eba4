import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT, type KeyObject } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import {
  CALENDAR_SCOPE,
  clientFor,
  createAccount,
  jwtFor,
  startEmulator,
  type TestAccount,
} from './test-support.ts';
import { GOOGLE_TOKEN_AUDIENCE, GRANT_TYPE } from './token-endpoint.ts';

const SERVICE_ACCOUNT_DOC =
  'https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests';
const ERRORS_DOC =
  'https://developers.google.com/workspace/calendar/api/guides/errors#401_invalid_credentials';

let emulator: RunningEmulator;
let account: TestAccount;

beforeAll(async () => {
  emulator = await startEmulator();
  account = await createAccount(emulator.url, 'token-tests');
});
afterAll(() => emulator.close());

interface Claims {
  iss?: string;
  aud?: string;
  scope?: string;
  iat?: number;
  exp?: number;
}

async function assertion(claims: Claims, key?: KeyObject): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const all = {
    iss: account.key.client_email,
    aud: GOOGLE_TOKEN_AUDIENCE,
    scope: CALENDAR_SCOPE,
    iat: now,
    exp: now + 3600,
    ...claims,
  };
  const { iat, exp, ...rest } = all;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'RS256', kid: account.key.private_key_id })
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key ?? (await importPKCS8(account.key.private_key, 'RS256')));
}

async function exchange(jwt: string, grantType = GRANT_TYPE) {
  const response = await fetch(account.key.token_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: grantType, assertion: jwt }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe(`token endpoint, JWT bearer grant (${SERVICE_ACCOUNT_DOC})`, () => {
  it('the key file is a service-account key whose token_uri is this emulator', () => {
    expect(account.key).toMatchObject({ type: 'service_account', token_uri: `${emulator.url}/token` });
    expect(account.key.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(account.key.client_email).toMatch(/@.+\.iam\.gserviceaccount\.com$/);
  });

  it("google-auth-library's JWT client gets an access token (Bearer, expires_in 3600) and the API accepts it", async () => {
    const auth = jwtFor(account.key);
    const tokens = await auth.authorize();
    expect(tokens.access_token).toMatch(/^ya29\./);
    expect(tokens.token_type).toBe('Bearer');
    expect((tokens.expiry_date ?? 0) - Date.now()).toBeGreaterThan(3_500_000);
    const calendar = await clientFor(emulator.url, account).calendars.get({ calendarId: account.calendarId });
    expect(calendar.data.id).toBe(account.calendarId);
  });

  it('an assertion with aud = the key token_uri is accepted too (clients that sign token_uri)', async () => {
    const answer = await exchange(await assertion({ aud: account.key.token_uri }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });

  it('an assertion signed by another key -> 400 invalid_grant "Invalid JWT Signature."', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const answer = await exchange(await assertion({}, other));
    expect(answer).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
  });

  it('aud other than https://oauth2.googleapis.com/token -> 400 invalid_grant', async () => {
    const answer = await exchange(await assertion({ aud: 'https://example.com/token' }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(answer.body.error_description).toContain('aud');
  });

  it('an expired assertion (exp in the past) -> 400 invalid_grant naming iat and exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const answer = await exchange(await assertion({ iat: now - 7200, exp: now - 3600 }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(answer.body.error_description).toMatch(/iat and exp/);
  });

  it('an assertion valid for more than an hour -> 400 invalid_grant', async () => {
    const now = Math.floor(Date.now() / 1000);
    const answer = await exchange(await assertion({ iat: now, exp: now + 7200 }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('an unknown issuer -> 400 invalid_grant "account not found"', async () => {
    const answer = await exchange(await assertion({ iss: 'nobody@cdc-emulator.iam.gserviceaccount.com' }));
    expect(answer).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
    });
  });

  it('no scope claim -> 400 invalid_scope', async () => {
    const answer = await exchange(await assertion({ scope: '' }));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
  });

  it('another grant_type -> 400 unsupported_grant_type (RFC 6749 section 5.2)', async () => {
    const answer = await exchange(await assertion({}), 'client_credentials');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unsupported_grant_type');
  });
});

describe(`API authorization (${ERRORS_DOC})`, () => {
  const eventsUrl = () =>
    `${emulator.url}/calendar/v3/calendars/${encodeURIComponent(account.calendarId)}/events`;
  const expected401 = {
    error: {
      errors: [
        {
          domain: 'global',
          reason: 'authError',
          message: 'Invalid Credentials',
          locationType: 'header',
          location: 'Authorization',
        },
      ],
      code: 401,
      message: 'Invalid Credentials',
      status: 'UNAUTHENTICATED',
    },
  };

  it('no Authorization header -> 401 authError', async () => {
    const response = await fetch(eventsUrl());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(expected401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('a bearer token the emulator never issued -> 401 authError', async () => {
    const response = await fetch(eventsUrl(), { headers: { authorization: 'Bearer ya29.made-up' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(expected401);
  });

  // https://developers.google.com/workspace/calendar/api/auth: the readonly scope allows no writes.
  it('a token with only calendar.readonly may list but not insert -> 403 insufficientPermissions', async () => {
    const client = clientFor(emulator.url, account, ['https://www.googleapis.com/auth/calendar.readonly']);
    const list = await client.events.list({ calendarId: account.calendarId });
    expect(list.status).toBe(200);
    const insert = await client.events
      .insert({
        calendarId: account.calendarId,
        requestBody: { start: { date: '2025-01-01' }, end: { date: '2025-01-02' } },
      })
      .then(
        () => undefined,
        (error: { response?: { status: number; data: unknown } }) => error.response,
      );
    expect(insert?.status).toBe(403);
    expect(JSON.stringify(insert?.data)).toContain('insufficientPermissions');
  });
});
