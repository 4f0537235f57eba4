import { importPKCS8, SignJWT } from 'jose';
import type { SinkRow } from '@cdc/core';
import { parseCalendarSinkConfig, type CalendarSinkInput } from './config.ts';
import type { CalendarEvent } from './event-body.ts';
import { eventIdOf } from './event-id.ts';
import { googleCalendarKind } from './kind.ts';
import { PATIENT_TEMPLATE } from './test-templates.ts';

/**
 * The conformance table `patients(id, name, email, notes, visits)` as events of a calendar of the
 * Calendar emulator (services/emulators), for the int tests. Each call creates its own service
 * account and calendar through the emulator's control API, so tests sharing the emulator never
 * see each other's events; a second account plays the person who edits in Calendar, and reads,
 * through plain REST calls: nothing of the sink's own client is trusted to check it.
 */

/** A service account of the emulator: its key JSON and a calendar of its own. */
export interface EmulatorAccount {
  readonly key: { readonly client_email: string; readonly private_key: string; readonly token_uri: string };
  readonly calendar_id: string;
}

export async function newAccount(url: string, name = 'cdc-test'): Promise<EmulatorAccount> {
  return control<EmulatorAccount>(url, 'POST', '/_emulator/service-accounts', { name });
}

/** A call of the emulator's control API (/_emulator/...). */
export async function control<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url.replace(/\/$/u, '')}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** Every API request the emulator saw from an account, in arrival order. */
export async function requestLog(url: string, email: string) {
  const { requests } = await control<{
    requests: { at_ms: number; method: string; path: string; status: number }[];
  }>(url, 'GET', `/_emulator/requests?principal=${encodeURIComponent(email)}`);
  return requests;
}

/** An access token for an account, by the JWT bearer grant (RFC 7523) its key's token_uri serves. */
async function tokenOf(account: EmulatorAccount): Promise<string> {
  const { client_email: email, private_key: pem, token_uri: tokenUri } = account.key;
  const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/calendar' })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(email)
    .setAudience(tokenUri)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(await importPKCS8(pem, 'RS256'));
  const response = await fetch(tokenUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
  });
  if (!response.ok) throw new Error(`token request answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A person with access to a calendar, reading and editing its events by REST. */
export async function person(url: string, calendarId: string) {
  const account = await newAccount(url, 'a person');
  // The checks read every event: the person has no quota, so that only the sink's is tested.
  await control(url, 'PUT', '/_emulator/rate', { principal: account.key.client_email, per_second: null });
  const token = await tokenOf(account);
  const base = `${url.replace(/\/$/u, '')}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`;
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    account,
    /** The event, cancelled ones included; undefined when there is none. */
    get: async (eventId: string): Promise<CalendarEvent | undefined> => {
      const response = await call('GET', `/${eventId}`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`events.get answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as CalendarEvent;
    },
    /** Every event of the calendar, cancelled ones included. */
    list: async (): Promise<CalendarEvent[]> => {
      const events: CalendarEvent[] = [];
      let page: string | undefined;
      do {
        const query = new URLSearchParams({
          showDeleted: 'true',
          maxResults: '250',
          ...(page ? { pageToken: page } : {}),
        });
        const response = await call('GET', `?${query.toString()}`);
        if (!response.ok)
          throw new Error(`events.list answered ${response.status}: ${await response.text()}`);
        const body = (await response.json()) as { items?: CalendarEvent[]; nextPageToken?: string };
        events.push(...(body.items ?? []));
        page = body.nextPageToken;
      } while (page !== undefined);
      return events;
    },
    patch: async (eventId: string, changes: CalendarEvent): Promise<void> => {
      const response = await call('PATCH', `/${eventId}`, changes);
      if (!response.ok) throw new Error(`events.patch answered ${response.status}: ${await response.text()}`);
    },
  };
}

/**
 * A started sink writing patients to a new calendar of the emulator at `url`, and what the
 * conformance suite asks of its target: the row an event stands for (null when there is none or
 * it is cancelled), whether any event is left, and a person's edit in Calendar.
 */
export async function patientSink(url: string, overrides: Partial<CalendarSinkInput> = {}) {
  const owner = await newAccount(url, 'cdc sink');
  const entry = parseCalendarSinkConfig({
    kind: 'google_calendar',
    name: 'calendar-test',
    topics: ['cdc.public.patients'],
    url,
    credentials: JSON.stringify(owner.key),
    calendar_id: owner.calendar_id,
    tables: { 'public.patients': PATIENT_TEMPLATE },
    ...overrides,
  });
  const sink = googleCalendarKind.create(entry, {
    url,
    urlSetting: 'sinks[0].url',
    path: 'sinks[0]',
  });
  const someone = await person(url, owner.calendar_id);
  const idOf = (id: bigint) => eventIdOf(entry.name, 'public.patients', { id });
  return {
    sink,
    owner,
    person: someone,
    idOf,
    read: async (id: bigint): Promise<SinkRow | null> => {
      const held = await someone.get(idOf(id));
      if (!held || held.status === 'cancelled') return null;
      const visits = held.extendedProperties?.shared?.visits;
      return {
        id,
        name: held.summary ?? null,
        email: held.location ?? null,
        notes: held.description ?? null,
        visits: visits === undefined ? null : Number(visits),
      };
    },
    exists: async (id: bigint) => (await someone.get(idOf(id))) !== undefined,
    /** A person edits the event in Calendar (name, email, notes, visits; other fields ignored). */
    editDirectly: async (id: bigint, changes: SinkRow): Promise<void> => {
      const edit: CalendarEvent = {};
      if ('name' in changes) edit.summary = changes.name as string;
      if ('email' in changes) edit.location = changes.email as string;
      if ('notes' in changes) edit.description = changes.notes as string;
      if ('visits' in changes) edit.extendedProperties = { shared: { visits: String(changes.visits) } };
      await someone.patch(idOf(id), edit);
    },
  };
}
