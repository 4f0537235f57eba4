/**
 * What the calendar emulator's tests share: an in-process emulator, accounts made through the
 * control API, and the official clients pointed at it.
 */
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import type { RunningEmulator } from '../control/index.ts';
import type { ServiceAccountKey } from './accounts.ts';
import { startCalendarEmulator, type CalendarEmulatorOptions } from './server.ts';
import { GOOGLE_TOKEN_AUDIENCE } from './token-endpoint.ts';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export interface TestAccount {
  readonly key: ServiceAccountKey;
  readonly calendarId: string;
}

/** Unlimited by default so tests can make requests back to back; quota tests set their own rate. */
export function startEmulator(options: CalendarEmulatorOptions = {}): Promise<RunningEmulator> {
  return startCalendarEmulator({ defaultRate: null, ...options });
}

export async function createAccount(url: string, name = 'test'): Promise<TestAccount> {
  const response = await fetch(`${url}/_emulator/service-accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201)
    throw new Error(`creating an account: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { key: ServiceAccountKey; calendar_id: string };
  return { key: body.key, calendarId: body.calendar_id };
}

/**
 * google-auth-library 11's JWT client posts its assertion to https://oauth2.googleapis.com/token
 * whatever the key's token_uri says; an interceptor on its transport sends it to token_uri instead.
 */
export function jwtFor(key: ServiceAccountKey, scopes: string[] = [CALENDAR_SCOPE]): JWT {
  const auth = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes });
  auth.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (options.url.toString() === GOOGLE_TOKEN_AUDIENCE) options.url = new URL(key.token_uri);
      return options;
    },
  });
  return auth;
}

export function clientFor(url: string, account: TestAccount, scopes?: string[]): calendar_v3.Calendar {
  return calendar({ version: 'v3', rootUrl: `${url}/`, auth: jwtFor(account.key, scopes) });
}

/** The status of a rejected client call (gaxios puts it on the error), to assert on error answers. */
export async function statusOf(call: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown } }).response;
    if (response) return { status: response.status, body: response.data };
    throw error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** The Google error body's first reason, e.g. 'duplicate'. */
export function reasonOf(body: unknown): string | undefined {
  return (body as { error?: { errors?: { reason?: string }[] } }).error?.errors?.[0]?.reason;
}

export async function accessToken(account: TestAccount): Promise<string> {
  const { token } = await jwtFor(account.key).getAccessToken();
  if (!token) throw new Error('no access token');
  return token;
}

export async function control(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/_emulator/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

export const timed = (start: string, end: string, timeZone?: string): calendar_v3.Schema$Event => ({
  start: { dateTime: start, ...(timeZone ? { timeZone } : {}) },
  end: { dateTime: end, ...(timeZone ? { timeZone } : {}) },
});
