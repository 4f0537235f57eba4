import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import { startCalendarEmulator } from './server.ts';
import {
  accessToken,
  clientFor,
  control,
  createAccount,
  reasonOf,
  startEmulator,
  statusOf,
  type TestAccount,
} from './test-support.ts';

const QUOTA = 'https://developers.google.com/workspace/calendar/api/guides/quota';
const ERRORS = 'https://developers.google.com/workspace/calendar/api/guides/errors';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

/** An account and a function making one plain list request with its token. */
async function caller(url = emulator.url): Promise<{ account: TestAccount; list: () => Promise<Response> }> {
  const account = await createAccount(url, 'quota-tests');
  const authorization = `Bearer ${await accessToken(account)}`;
  const eventsUrl = `${url}/calendar/v3/calendars/${encodeURIComponent(account.calendarId)}/events`;
  return { account, list: () => fetch(eventsUrl, { headers: { authorization } }) };
}

const statuses = (responses: Response[]) => responses.map((r) => r.status);

describe(`quota (${QUOTA})`, () => {
  it('by default an account may make 10 requests at once; more at once -> 403 rateLimitExceeded (usageLimits)', async () => {
    const limited = await startCalendarEmulator();
    try {
      const { list } = await caller(limited.url);
      const answers = await Promise.all(Array.from({ length: 14 }, list));
      const ok = answers.filter((r) => r.status === 200).length;
      // 10 from the burst, perhaps one more refilled while the 14 arrived.
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(ok).toBeLessThanOrEqual(11);
      const refused = answers.find((r) => r.status !== 200);
      expect(refused?.status).toBe(403);
      expect(await refused?.json()).toEqual({
        error: {
          errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }],
          code: 403,
          message: 'Rate Limit Exceeded',
          status: 'PERMISSION_DENIED',
        },
      });
    } finally {
      await limited.close();
    }
  });

  it('PUT /_emulator/rate with error "429" -> over the rate 429 rateLimitExceeded; per_second null lifts it', async () => {
    const { account, list } = await caller();
    const principal = account.key.client_email;
    const set = await control(emulator.url, 'PUT', 'rate', {
      principal,
      per_second: 1,
      burst: 2,
      error: '429',
    });
    expect(set.status).toBe(200);
    const answers = [await list(), await list(), await list()];
    expect(statuses(answers)).toEqual([200, 200, 429]);
    expect(reasonOf(await answers[2]?.json())).toBe('rateLimitExceeded');
    await control(emulator.url, 'PUT', 'rate', { principal, per_second: null });
    expect(statuses(await Promise.all(Array.from({ length: 5 }, list)))).toEqual([200, 200, 200, 200, 200]);
  });

  it('one account over its rate does not slow another', async () => {
    const first = await caller();
    const second = await caller();
    await control(emulator.url, 'PUT', 'rate', {
      principal: first.account.key.client_email,
      per_second: 1,
      burst: 1,
    });
    expect(statuses([await first.list(), await first.list()])).toEqual([200, 403]);
    expect((await second.list()).status).toBe(200);
  });

  // ERRORS#403_user_rate_limit_exceeded
  it(`a user_rate_limited fault -> 403 userRateLimitExceeded (${ERRORS})`, async () => {
    const { account, list } = await caller();
    await control(emulator.url, 'POST', 'faults', {
      principal: account.key.client_email,
      kind: 'user_rate_limited',
    });
    const refused = await list();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: {
        errors: [
          { domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' },
        ],
      },
    });
    expect((await list()).status).toBe(200);
  });
});

describe('faults', () => {
  // ERRORS#429_too_many_requests
  it(`a rate_limited storm: 429 rateLimitExceeded for duration_ms, then answers again (${ERRORS})`, async () => {
    const { account, list } = await caller();
    const created = await control(emulator.url, 'POST', 'faults', {
      principal: account.key.client_email,
      kind: 'rate_limited',
      duration_ms: 300,
    });
    expect(created.status).toBe(201);
    expect(statuses([await list(), await list(), await list()])).toEqual([429, 429, 429]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await list()).status).toBe(200);
  });

  it('a rate_limited fault with status 403 answers 403 rateLimitExceeded', async () => {
    const { account, list } = await caller();
    await control(emulator.url, 'POST', 'faults', {
      principal: account.key.client_email,
      kind: 'rate_limited',
      status: 403,
    });
    const refused = await list();
    expect(refused.status).toBe(403);
    expect(reasonOf(await refused.json())).toBe('rateLimitExceeded');
  });

  // ERRORS#500_backend_error
  it(`server_error for count 2: two 500 backendError, then the official client's retry gets through (${ERRORS})`, async () => {
    const account = await createAccount(emulator.url, 'fault-tests');
    const principal = account.key.client_email;
    await control(emulator.url, 'POST', 'faults', { principal, kind: 'server_error', count: 2 });
    const api = clientFor(emulator.url, account);
    const { status } = await api.events.list({ calendarId: account.calendarId });
    expect(status).toBe(200);
    const log = (await (
      await control(emulator.url, 'GET', `requests?principal=${encodeURIComponent(principal)}`)
    ).json()) as {
      requests: { status: number }[];
    };
    expect(log.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('server_error with status 503 and the overloaded kind answer 503 backendError', async () => {
    const { account, list } = await caller();
    const principal = account.key.client_email;
    // One at a time: faults active together all count the same request.
    for (const fault of [{ kind: 'server_error', status: 503 }, { kind: 'overloaded' }]) {
      await control(emulator.url, 'POST', 'faults', { principal, ...fault });
      const answer = await list();
      expect(answer.status).toBe(503);
      expect(reasonOf(await answer.json())).toBe('backendError');
    }
    expect((await list()).status).toBe(200);
  });

  it('the client without retries sees the 500 as an error', async () => {
    const account = await createAccount(emulator.url, 'fault-tests');
    await control(emulator.url, 'POST', 'faults', {
      principal: account.key.client_email,
      kind: 'server_error',
    });
    const api = clientFor(emulator.url, account);
    const { status, body } = await statusOf(
      api.events.list({ calendarId: account.calendarId }, { retry: false }),
    );
    expect(status).toBe(500);
    expect(reasonOf(body)).toBe('backendError');
  });

  it('slow: each answer waits delay_ms', async () => {
    const { account, list } = await caller();
    await control(emulator.url, 'POST', 'faults', {
      principal: account.key.client_email,
      kind: 'slow',
      delay_ms: 250,
      count: 2,
    });
    for (const expectSlow of [true, true, false]) {
      const started = performance.now();
      expect((await list()).status).toBe(200);
      const took = performance.now() - started;
      if (expectSlow) expect(took).toBeGreaterThanOrEqual(240);
      else expect(took).toBeLessThan(200);
    }
  });

  it('DELETE /_emulator/faults clears a storm at once', async () => {
    const { account, list } = await caller();
    const principal = account.key.client_email;
    await control(emulator.url, 'POST', 'faults', { principal, kind: 'rate_limited', duration_ms: 60_000 });
    expect((await list()).status).toBe(429);
    const cleared = await control(
      emulator.url,
      'DELETE',
      `faults?principal=${encodeURIComponent(principal)}`,
    );
    expect(await cleared.json()).toEqual({ cleared: 1 });
    expect((await list()).status).toBe(200);
  });

  it('faults for an account the emulator does not know -> 404 naming how to create one', async () => {
    const response = await control(emulator.url, 'POST', 'faults', {
      principal: 'nobody@example.com',
      kind: 'slow',
      delay_ms: 1,
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toContain('/_emulator/service-accounts');
  });
});

describe('request log', () => {
  it("lists one account's API requests in arrival order with method, path and status; token requests are not in it", async () => {
    const account = await createAccount(emulator.url, 'log-tests');
    const other = await createAccount(emulator.url, 'log-tests');
    const api = clientFor(emulator.url, account);
    const calendarId = account.calendarId;
    const started = Date.now();
    const { data } = await api.events.insert({
      calendarId,
      requestBody: { id: 'logged0001', start: { date: '2025-01-01' }, end: { date: '2025-01-02' } },
    });
    await api.events.get({ calendarId, eventId: data.id ?? '' });
    await statusOf(api.events.get({ calendarId, eventId: 'missing0001' }));
    await clientFor(emulator.url, other).events.list({ calendarId });

    const response = await control(
      emulator.url,
      'GET',
      `requests?principal=${encodeURIComponent(account.key.client_email)}`,
    );
    const { requests } = (await response.json()) as {
      requests: { at_ms: number; method: string; path: string; status: number }[];
    };
    const base = `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`;
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'POST', path: base, status: 200 },
      { method: 'GET', path: `${base}/logged0001`, status: 200 },
      { method: 'GET', path: `${base}/missing0001`, status: 404 },
    ]);
    expect(requests.every((r) => r.at_ms >= started && r.at_ms <= Date.now())).toBe(true);
  });

  it('a request with an unknown token is logged for nobody', async () => {
    const account = await createAccount(emulator.url, 'log-tests');
    await fetch(`${emulator.url}/calendar/v3/calendars/primary/events`, {
      headers: { authorization: 'Bearer nope' },
    });
    const response = await control(
      emulator.url,
      'GET',
      `requests?principal=${encodeURIComponent(account.key.client_email)}`,
    );
    expect(await response.json()).toEqual({ requests: [] });
  });
});
