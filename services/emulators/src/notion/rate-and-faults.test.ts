import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import { apiError, control, newIntegration, sdk, startEmulator, type Integration } from './test-support.ts';

const RATE = 'https://developers.notion.com/reference/request-limits#rate-limits';
const STATUS_CODES = 'https://developers.notion.com/reference/status-codes';

let emulator: RunningEmulator;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses of n simultaneous users.me calls. */
async function burst(integration: Integration, n: number): Promise<number[]> {
  const notion = sdk(emulator.url, integration.token);
  const results = await Promise.allSettled(Array.from({ length: n }, () => notion.users.me({})));
  return results.map((r) => (r.status === 'fulfilled' ? 200 : (r.reason as { status: number }).status));
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

async function fault(integration: Integration, body: Record<string, unknown>) {
  const res = await control(emulator.url, 'POST', '/_emulator/faults', {
    principal: integration.token,
    ...body,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

beforeAll(async () => {
  // The emulator's default rate: tests that want another one set it through PUT /_emulator/rate.
  emulator = await startEmulator({ rate: undefined });
});
afterAll(() => emulator.close());

describe('rate limits', () => {
  // Default: an average of 3 requests/s, with a burst of 10 (the docs allow "some bursts" without a size).
  it(`by default an integration averages 3 requests/s after a burst, then gets 429 rate_limited with Retry-After (${RATE})`, async () => {
    const integration = await newIntegration(emulator.url);
    const first = await burst(integration, 11);
    expect(count(first, 200)).toBe(10);
    const error = await apiError(sdk(emulator.url, integration.token).users.me({}));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(
      Number(error.headers instanceof Headers ? error.headers.get('retry-after') : NaN),
    ).toBeGreaterThanOrEqual(1);
    await sleep(1000);
    // One second refills three requests' worth.
    expect(count(await burst(integration, 5), 200)).toBe(3);
  });

  it(`after waiting Retry-After seconds a request is no longer limited (${RATE})`, async () => {
    const integration = await newIntegration(emulator.url);
    await control(emulator.url, 'PUT', '/_emulator/rate', {
      principal: integration.token,
      per_second: 2,
      burst: 1,
    });
    expect(await burst(integration, 2)).toEqual([200, 429]);
    const error = await apiError(sdk(emulator.url, integration.token).users.me({}));
    const retryAfter = Number((error.headers as Headers).get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    await sleep(retryAfter * 1000);
    expect(await burst(integration, 1)).toEqual([200]);
  });

  it(`the limit is per integration (${RATE})`, async () => {
    const busy = await newIntegration(emulator.url);
    const quiet = await newIntegration(emulator.url);
    await control(emulator.url, 'PUT', '/_emulator/rate', { principal: busy.token, per_second: 1, burst: 1 });
    expect(count(await burst(busy, 3), 429)).toBe(2);
    expect(await burst(quiet, 3)).toEqual([200, 200, 200]);
  });

  it('PUT /_emulator/rate sets, null lifts, DELETE restores the default rate', async () => {
    const integration = await newIntegration(emulator.url);
    const set = await control(emulator.url, 'PUT', '/_emulator/rate', {
      principal: integration.token,
      per_second: 50,
      burst: 2,
    });
    expect(await set.json()).toEqual({ principal: integration.token, per_second: 50, burst: 2 });
    expect(count(await burst(integration, 4), 429)).toBe(2);
    await control(emulator.url, 'PUT', '/_emulator/rate', { principal: integration.token, per_second: null });
    expect(count(await burst(integration, 30), 200)).toBe(30);
    expect(
      (await control(emulator.url, 'DELETE', `/_emulator/rate?principal=${integration.token}`)).status,
    ).toBe(204);
    const shown = await control(emulator.url, 'GET', `/_emulator/rate?principal=${integration.token}`);
    expect(await shown.json()).toEqual({ principal: integration.token, per_second: 3, burst: 10 });
  });

  it('the control API rejects unknown principals and malformed settings', async () => {
    const unknown = await control(emulator.url, 'PUT', '/_emulator/rate', {
      principal: 'ntn_nobody',
      per_second: 1,
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('ntn_nobody');
    const integration = await newIntegration(emulator.url);
    const bad = await control(emulator.url, 'PUT', '/_emulator/rate', {
      principal: integration.token,
      per_second: -1,
    });
    expect(bad.status).toBe(400);
  });
});

describe('faults', () => {
  it(`rate_limited for duration_ms: every request meanwhile gets 429 with Retry-After (${RATE})`, async () => {
    const integration = await newIntegration(emulator.url);
    await control(emulator.url, 'PUT', '/_emulator/rate', { principal: integration.token, per_second: null });
    await fault(integration, { kind: 'rate_limited', duration_ms: 300, retry_after_seconds: 2 });
    const error = await apiError(sdk(emulator.url, integration.token).users.me({}));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((error.headers as Headers).get('retry-after')).toBe('2');
    expect(await burst(integration, 5)).toEqual([429, 429, 429, 429, 429]);
    await sleep(350);
    expect(await burst(integration, 2)).toEqual([200, 200]);
  });

  it(`server_error for the next count requests, with the status asked for (${STATUS_CODES})`, async () => {
    const integration = await newIntegration(emulator.url);
    await fault(integration, { kind: 'server_error', count: 2, status: 503 });
    const notion = sdk(emulator.url, integration.token);
    expect(await apiError(notion.users.me({}))).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(await apiError(notion.users.me({}))).toMatchObject({ status: 503 });
    await notion.users.me({});
    await fault(integration, { kind: 'server_error' });
    expect(await apiError(notion.users.me({}))).toMatchObject({ status: 500, code: 'internal_server_error' });
    await notion.users.me({});
  });

  it(`overloaded answers 529 service_overload (${STATUS_CODES})`, async () => {
    const integration = await newIntegration(emulator.url);
    await fault(integration, { kind: 'overloaded' });
    const error = await apiError(sdk(emulator.url, integration.token).users.me({}));
    expect(error).toMatchObject({ status: 529, code: 'service_overload' });
    expect((error.headers as Headers).get('retry-after')).toBe('1');
  });

  it(`conflict answers 409 conflict_error (${STATUS_CODES})`, async () => {
    const integration = await newIntegration(emulator.url);
    await fault(integration, { kind: 'conflict' });
    expect(await apiError(sdk(emulator.url, integration.token).users.me({}))).toMatchObject({
      status: 409,
      code: 'conflict_error',
    });
  });

  it('slow delays the answer by delay_ms, and the answer is still right', async () => {
    const integration = await newIntegration(emulator.url);
    await fault(integration, { kind: 'slow', delay_ms: 250 });
    const started = Date.now();
    const me = await sdk(emulator.url, integration.token).users.me({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(me.id).toBe(integration.bot_id);
  });

  it('faults hit only their integration, and DELETE clears them', async () => {
    const target = await newIntegration(emulator.url);
    const bystander = await newIntegration(emulator.url);
    await fault(target, { kind: 'server_error', duration_ms: 60_000 });
    expect(await burst(bystander, 1)).toEqual([200]);
    expect(await burst(target, 1)).toEqual([500]);
    const cleared = await control(emulator.url, 'DELETE', `/_emulator/faults?principal=${target.token}`);
    expect(await cleared.json()).toEqual({ cleared: 1 });
    expect(await burst(target, 1)).toEqual([200]);
  });

  it('a fault of an unknown kind is a 400 naming the kinds', async () => {
    const integration = await newIntegration(emulator.url);
    const res = await control(emulator.url, 'POST', '/_emulator/faults', {
      principal: integration.token,
      kind: 'meteor',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('rate_limited');
  });
});

describe('request log', () => {
  it("lists an integration's API requests in arrival order with their status, not control requests", async () => {
    const integration = await newIntegration(emulator.url);
    const other = await newIntegration(emulator.url);
    const notion = sdk(emulator.url, integration.token);
    await notion.users.me({});
    await fault(integration, { kind: 'server_error', status: 502 });
    await apiError(notion.pages.retrieve({ page_id: integration.root_page_id }));
    await notion.pages.retrieve({ page_id: integration.root_page_id });
    await sdk(emulator.url, other.token).users.me({});
    const res = await control(emulator.url, 'GET', `/_emulator/requests?principal=${integration.token}`);
    const { requests } = (await res.json()) as {
      requests: { at_ms: number; method: string; path: string; status: number }[];
    };
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: '/v1/users/me', status: 200 },
      { method: 'GET', path: `/v1/pages/${integration.root_page_id}`, status: 502 },
      { method: 'GET', path: `/v1/pages/${integration.root_page_id}`, status: 200 },
    ]);
    expect(requests.map((r) => r.at_ms)).toEqual([...requests.map((r) => r.at_ms)].sort((a, b) => a - b));
    await control(emulator.url, 'DELETE', `/_emulator/requests?principal=${integration.token}`);
    const after = await control(emulator.url, 'GET', `/_emulator/requests?principal=${integration.token}`);
    expect(await after.json()).toEqual({ requests: [] });
  });
});
