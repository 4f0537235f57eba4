import type { calendar_v3 } from '@googleapis/calendar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import {
  accessToken,
  clientFor,
  createAccount,
  reasonOf,
  startEmulator,
  statusOf,
  timed,
  type TestAccount,
} from './test-support.ts';

const LIST = 'https://developers.google.com/workspace/calendar/api/v3/reference/events/list';
const EXTENDED = 'https://developers.google.com/workspace/calendar/api/guides/extended-properties';

let emulator: RunningEmulator;
let api: calendar_v3.Calendar;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

/** Each test gets a calendar of its own, so counts are exact. */
async function freshCalendar(): Promise<{ calendarId: string; account: TestAccount }> {
  const account = await createAccount(emulator.url, 'list-tests');
  api = clientFor(emulator.url, account);
  return { calendarId: account.calendarId, account };
}

const ids = (list: { data: calendar_v3.Schema$Events }) => list.data.items?.map((e) => e.id) ?? [];

describe(`extendedProperties (${EXTENDED})`, () => {
  it('private and shared properties are kept and answered', async () => {
    const { calendarId } = await freshCalendar();
    const { data } = await api.events.insert({
      calendarId,
      requestBody: {
        ...timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'),
        extendedProperties: { private: { rowKey: 'orders:42' }, shared: { source: 'cdc' } },
      },
    });
    const got = await api.events.get({ calendarId, eventId: data.id ?? '' });
    expect(got.data.extendedProperties).toEqual({
      private: { rowKey: 'orders:42' },
      shared: { source: 'cdc' },
    });
  });

  it('privateExtendedProperty=key=value finds the events with that private property', async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    const a = await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { private: { row: '1' } } },
    });
    await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { private: { row: '2' } } },
    });
    await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { shared: { row: '1' } } },
    });
    expect(ids(await api.events.list({ calendarId, privateExtendedProperty: ['row=1'] }))).toEqual([
      a.data.id,
    ]);
  });

  it('sharedExtendedProperty filters on shared properties only', async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { private: { k: 'v' } } },
    });
    const shared = await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { shared: { k: 'v' } } },
    });
    expect(ids(await api.events.list({ calendarId, sharedExtendedProperty: ['k=v'] }))).toEqual([
      shared.data.id,
    ]);
  });

  // LIST: "might be repeated multiple times to return events that match all given constraints"
  it(`repeated constraints must all match (${LIST})`, async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    const both = await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { private: { a: '1', b: '2' } } },
    });
    await api.events.insert({
      calendarId,
      requestBody: { ...hour, extendedProperties: { private: { a: '1' } } },
    });
    const list = await api.events.list({ calendarId, privateExtendedProperty: ['a=1', 'b=2'] });
    expect(ids(list)).toEqual([both.data.id]);
  });

  it('keys over 44 characters are dropped and values over 1024 characters truncated', async () => {
    const { calendarId } = await freshCalendar();
    const { data } = await api.events.insert({
      calendarId,
      requestBody: {
        ...timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'),
        extendedProperties: {
          private: { ['k'.repeat(45)]: 'dropped', ['k'.repeat(44)]: 'kept', long: 'x'.repeat(1100) },
        },
      },
    });
    expect(data.extendedProperties?.private).toEqual({ ['k'.repeat(44)]: 'kept', long: 'x'.repeat(1024) });
  });

  it('more than 300 properties on one event -> 400 invalid', async () => {
    const { calendarId } = await freshCalendar();
    const many = Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`k${i}`, 'v']));
    const { status, body } = await statusOf(
      api.events.insert({
        calendarId,
        requestBody: {
          ...timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'),
          extendedProperties: { private: many },
        },
      }),
    );
    expect(status).toBe(400);
    expect(reasonOf(body)).toBe('invalid');
  });
});

describe(`events.list (${LIST})`, () => {
  it('cancelled events are left out unless showDeleted=true', async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    const kept = await api.events.insert({ calendarId, requestBody: hour });
    const gone = await api.events.insert({ calendarId, requestBody: hour });
    await api.events.delete({ calendarId, eventId: gone.data.id ?? '' });
    expect(ids(await api.events.list({ calendarId }))).toEqual([kept.data.id]);
    const withDeleted = await api.events.list({ calendarId, showDeleted: true });
    expect(withDeleted.data.items?.map((e) => [e.id, e.status])).toEqual([
      [kept.data.id, 'confirmed'],
      [gone.data.id, 'cancelled'],
    ]);
  });

  it('updatedMin includes events deleted since then even without showDeleted', async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    await api.events.insert({ calendarId, requestBody: hour });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    const gone = await api.events.insert({ calendarId, requestBody: hour });
    await api.events.delete({ calendarId, eventId: gone.data.id ?? '' });
    const list = await api.events.list({ calendarId, updatedMin: since });
    expect(list.data.items?.map((e) => [e.id, e.status])).toEqual([[gone.data.id, 'cancelled']]);
  });

  it('timeMin bounds the end and timeMax the start, both exclusive', async () => {
    const { calendarId } = await freshCalendar();
    const early = await api.events.insert({
      calendarId,
      requestBody: timed('2025-03-01T08:00:00Z', '2025-03-01T09:00:00Z'),
    });
    const middle = await api.events.insert({
      calendarId,
      requestBody: timed('2025-03-01T09:30:00Z', '2025-03-01T10:30:00Z'),
    });
    const late = await api.events.insert({
      calendarId,
      requestBody: timed('2025-03-01T11:00:00Z', '2025-03-01T12:00:00Z'),
    });
    const list = await api.events.list({
      calendarId,
      timeMin: '2025-03-01T09:00:00Z',
      timeMax: '2025-03-01T11:00:00Z',
    });
    expect(ids(list)).toEqual([middle.data.id]);
    expect(ids(list)).not.toContain(early.data.id);
    expect(ids(list)).not.toContain(late.data.id);
  });

  // https://developers.google.com/workspace/calendar/api/guides/errors#400_bad_request
  it('timeMin not before timeMax -> 400 timeRangeEmpty at parameter timeMax', async () => {
    const { calendarId } = await freshCalendar();
    const { status, body } = await statusOf(
      api.events.list({ calendarId, timeMin: '2025-03-02T00:00:00Z', timeMax: '2025-03-01T00:00:00Z' }),
    );
    expect(status).toBe(400);
    expect(body).toMatchObject({
      error: {
        errors: [
          { domain: 'calendar', reason: 'timeRangeEmpty', locationType: 'parameter', location: 'timeMax' },
        ],
      },
    });
  });

  it('a timeMin without a time zone offset -> 400 invalid', async () => {
    const { calendarId } = await freshCalendar();
    const { status } = await statusOf(api.events.list({ calendarId, timeMin: '2025-03-01T00:00:00' }));
    expect(status).toBe(400);
  });

  it('maxResults pages the result; nextPageToken leads through every event once, the last page has none', async () => {
    const { calendarId } = await freshCalendar();
    const inserted: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { data } = await api.events.insert({
        calendarId,
        requestBody: timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'),
      });
      inserted.push(data.id ?? '');
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let pageToken: string | undefined;
    do {
      const page: { data: calendar_v3.Schema$Events } = await api.events.list({
        calendarId,
        maxResults: 3,
        ...(pageToken ? { pageToken } : {}),
      });
      sizes.push(page.data.items?.length ?? 0);
      seen.push(...ids(page).map(String));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(inserted);
  });

  it('an event inserted between pages neither repeats nor hides one already paged', async () => {
    const { calendarId } = await freshCalendar();
    const hour = timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');
    for (let i = 0; i < 4; i++) await api.events.insert({ calendarId, requestBody: hour });
    const first = await api.events.list({ calendarId, maxResults: 2 });
    const added = await api.events.insert({ calendarId, requestBody: hour });
    const second = await api.events.list({
      calendarId,
      maxResults: 10,
      pageToken: first.data.nextPageToken ?? '',
    });
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(5);
    expect(ids(second).at(-1)).toBe(added.data.id);
  });

  it('a pageToken the emulator did not issue -> 400 invalid', async () => {
    const { calendarId } = await freshCalendar();
    const { status } = await statusOf(api.events.list({ calendarId, pageToken: 'not-a-token' }));
    expect(status).toBe(400);
  });

  it('orderBy=startTime needs singleEvents=true, else 400; with it, events come by start', async () => {
    const { calendarId } = await freshCalendar();
    const late = await api.events.insert({
      calendarId,
      requestBody: timed('2025-03-02T09:00:00Z', '2025-03-02T10:00:00Z'),
    });
    const early = await api.events.insert({
      calendarId,
      requestBody: timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z'),
    });
    expect((await statusOf(api.events.list({ calendarId, orderBy: 'startTime' }))).status).toBe(400);
    const list = await api.events.list({ calendarId, orderBy: 'startTime', singleEvents: true });
    expect(ids(list)).toEqual([early.data.id, late.data.id]);
  });

  it('answers a calendar#events collection with the calendar time zone', async () => {
    const { calendarId, account } = await freshCalendar();
    const response = await fetch(
      `${emulator.url}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`,
      {
        headers: { authorization: `Bearer ${await accessToken(account)}` },
      },
    );
    expect(await response.json()).toMatchObject({ kind: 'calendar#events', timeZone: 'UTC', items: [] });
  });
});
