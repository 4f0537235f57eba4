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

const REF = 'https://developers.google.com/workspace/calendar/api/v3/reference/events';
const ERRORS = 'https://developers.google.com/workspace/calendar/api/guides/errors';
const VERSIONS = 'https://developers.google.com/workspace/calendar/api/guides/version-resources';

let emulator: RunningEmulator;
let account: TestAccount;
let api: calendar_v3.Calendar;
let calendarId: string;
let idCounter = 0;
/** A fresh valid id per test (base32hex). */
const newId = () => `evt${(++idCounter).toString(32)}${Date.now().toString(32)}`;

beforeAll(async () => {
  emulator = await startEmulator();
  account = await createAccount(emulator.url, 'event-tests');
  api = clientFor(emulator.url, account);
  calendarId = account.calendarId;
});
afterAll(() => emulator.close());

const insert = (requestBody: calendar_v3.Schema$Event) => api.events.insert({ calendarId, requestBody });
const oneHour = () => timed('2025-03-01T09:00:00Z', '2025-03-01T10:00:00Z');

describe(`events.insert (${REF}/insert)`, () => {
  it('keeps a client-chosen id of base32hex characters (a-v, 0-9) and answers the Event resource', async () => {
    const id = newId();
    const { status, data } = await insert({ id, summary: 'Standup', ...oneHour() });
    expect(status).toBe(200);
    expect(data).toMatchObject({
      kind: 'calendar#event',
      id,
      status: 'confirmed',
      summary: 'Standup',
      sequence: 0,
      start: { dateTime: '2025-03-01T09:00:00Z' },
      end: { dateTime: '2025-03-01T10:00:00Z' },
      creator: { email: account.key.client_email },
    });
    expect(data.etag).toMatch(/^"\d+"$/);
    expect(Date.parse(data.created ?? '')).not.toBeNaN();
    expect(data.updated).toBe(data.created);
  });

  it('ids of exactly 5 and 1024 characters are valid', async () => {
    for (const id of ['a0b1c', 'v'.repeat(1000) + newId().slice(0, 24).padEnd(24, '0')]) {
      expect(id.length === 5 || id.length === 1024).toBe(true);
      expect((await insert({ id, ...oneHour() })).data.id).toBe(id);
    }
  });

  it('without an id the server picks a valid one', async () => {
    const { data } = await insert(oneHour());
    expect(data.id).toMatch(/^[0-9a-v]{5,1024}$/);
  });

  it.each([
    ['uppercase', 'ABCDEF12'],
    ['w-z are not base32hex', 'wxyz12345'],
    ['a hyphen', 'abc-12345'],
    ['an underscore', 'abc_12345'],
    ['4 characters', 'abcd'],
    ['1025 characters', 'a'.repeat(1025)],
  ])('an id with %s -> 400 invalid', async (_what, id) => {
    const { status, body } = await statusOf(insert({ id, ...oneHour() }));
    expect(status).toBe(400);
    expect(reasonOf(body)).toBe('invalid');
  });

  // ERRORS#409_the_requested_identifier_already_exists
  it(`an id in use -> 409 duplicate (${ERRORS})`, async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    const { status, body } = await statusOf(insert({ id, ...oneHour() }));
    expect(status).toBe(409);
    expect(body).toEqual({
      error: {
        errors: [
          { domain: 'global', reason: 'duplicate', message: 'The requested identifier already exists.' },
        ],
        code: 409,
        message: 'The requested identifier already exists.',
        status: 'ALREADY_EXISTS',
      },
    });
  });

  it('the id of a cancelled (deleted) event is still in use -> 409 duplicate', async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    await api.events.delete({ calendarId, eventId: id });
    const { status, body } = await statusOf(insert({ id, ...oneHour() }));
    expect(status).toBe(409);
    expect(reasonOf(body)).toBe('duplicate');
  });

  it('into a calendar that does not exist -> 404 notFound', async () => {
    const { status, body } = await statusOf(
      api.events.insert({ calendarId: 'nope@group.calendar.google.com', requestBody: oneHour() }),
    );
    expect(status).toBe(404);
    expect(reasonOf(body)).toBe('notFound');
  });

  it('"primary" names the calendar of the account', async () => {
    const { data } = await api.events.insert({
      calendarId: 'primary',
      requestBody: { id: newId(), ...oneHour() },
    });
    const got = await api.events.get({ calendarId, eventId: data.id ?? '' });
    expect(got.data.id).toBe(data.id);
  });
});

describe(`start and end (${REF}#resource)`, () => {
  it('a dateTime without offset is read in its timeZone, and answered with that zone offset', async () => {
    const { data } = await insert(timed('2025-07-01T09:00:00', '2025-07-01T09:30:00', 'Europe/Berlin'));
    expect(data.start).toEqual({ dateTime: '2025-07-01T09:00:00+02:00', timeZone: 'Europe/Berlin' });
    expect(data.end).toEqual({ dateTime: '2025-07-01T09:30:00+02:00', timeZone: 'Europe/Berlin' });
  });

  it('a dateTime with an offset is kept as that instant, shown in the event timeZone', async () => {
    const { data } = await insert(timed('2025-01-15T08:00:00Z', '2025-01-15T09:00:00Z', 'America/New_York'));
    expect(data.start).toEqual({ dateTime: '2025-01-15T03:00:00-05:00', timeZone: 'America/New_York' });
  });

  it('all-day events use date (end exclusive)', async () => {
    const { data } = await insert({ start: { date: '2025-05-01' }, end: { date: '2025-05-02' } });
    expect(data.start).toEqual({ date: '2025-05-01' });
  });

  // ERRORS#400_bad_request shows timeRangeEmpty
  it(`end before start -> 400 timeRangeEmpty (${ERRORS}#400_bad_request)`, async () => {
    const { status, body } = await statusOf(insert(timed('2025-03-01T10:00:00Z', '2025-03-01T09:00:00Z')));
    expect(status).toBe(400);
    expect(reasonOf(body)).toBe('timeRangeEmpty');
  });

  it('a missing end -> 400 required "Missing end time."', async () => {
    const { status, body } = await statusOf(insert({ start: { dateTime: '2025-03-01T10:00:00Z' } }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { message: 'Missing end time.', errors: [{ reason: 'required' }] } });
  });

  it('a dateTime without offset and without timeZone -> 400 (the offset "is required unless a time zone is specified")', async () => {
    const { status, body } = await statusOf(insert(timed('2025-03-01T09:00:00', '2025-03-01T10:00:00')));
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('Missing time zone definition for start time.');
  });

  it('a timeZone that is not an IANA name -> 400 invalid', async () => {
    const { status, body } = await statusOf(
      insert(timed('2025-03-01T09:00:00', '2025-03-01T10:00:00', 'Mars/Olympus')),
    );
    expect(status).toBe(400);
    expect(reasonOf(body)).toBe('invalid');
  });
});

describe(`events.get (${REF}/get)`, () => {
  it('answers the stored event', async () => {
    const id = newId();
    const inserted = await insert({ id, summary: 'Read me', location: 'Room 1', ...oneHour() });
    const { data } = await api.events.get({ calendarId, eventId: id });
    expect(data).toEqual(inserted.data);
  });

  it('an unknown id -> 404 notFound', async () => {
    const { status, body } = await statusOf(api.events.get({ calendarId, eventId: 'unknownid00' }));
    expect(status).toBe(404);
    expect(reasonOf(body)).toBe('notFound');
  });
});

describe(`events.patch (${REF}/patch)`, () => {
  it('changes only the fields sent; extendedProperties merge key by key, null removes a key', async () => {
    const id = newId();
    await insert({
      id,
      summary: 'Before',
      description: 'kept',
      extendedProperties: { private: { a: '1', b: '2' }, shared: { s: 'x' } },
      ...oneHour(),
    });
    const { data } = await api.events.patch({
      calendarId,
      eventId: id,
      requestBody: {
        summary: 'After',
        extendedProperties: { private: { b: null as unknown as string, c: '3' } },
      },
    });
    expect(data).toMatchObject({
      summary: 'After',
      description: 'kept',
      start: { dateTime: '2025-03-01T09:00:00Z' },
    });
    expect(data.extendedProperties).toEqual({ private: { a: '1', c: '3' }, shared: { s: 'x' } });
  });

  it('a patch moving the event bumps sequence; a summary change does not', async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    const renamed = await api.events.patch({ calendarId, eventId: id, requestBody: { summary: 'x' } });
    expect(renamed.data.sequence).toBe(0);
    const moved = await api.events.patch({
      calendarId,
      eventId: id,
      requestBody: { end: { dateTime: '2025-03-01T11:00:00Z' } },
    });
    expect(moved.data.sequence).toBe(1);
  });
});

describe(`events.update (${REF}/update)`, () => {
  it('replaces the whole event: fields left out are cleared', async () => {
    const id = newId();
    await insert({
      id,
      summary: 'Old',
      description: 'to be cleared',
      extendedProperties: { private: { k: 'v' } },
      ...oneHour(),
    });
    const { data } = await api.events.update({
      calendarId,
      eventId: id,
      requestBody: { summary: 'New', ...timed('2025-03-02T09:00:00Z', '2025-03-02T10:00:00Z') },
    });
    expect(data.summary).toBe('New');
    expect(data.description).toBeUndefined();
    expect(data.extendedProperties).toBeUndefined();
    expect(data.start).toEqual({ dateTime: '2025-03-02T09:00:00Z' });
  });

  it('an update without start/end -> 400 (start and end are required)', async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    const { status } = await statusOf(
      api.events.update({ calendarId, eventId: id, requestBody: { summary: 'x' } }),
    );
    expect(status).toBe(400);
  });
});

describe(`events.delete (${REF}/delete)`, () => {
  it('sets status cancelled and keeps the event: get still answers it, with its id', async () => {
    const id = newId();
    await insert({ id, summary: 'Going', ...oneHour() });
    const deleted = await api.events.delete({ calendarId, eventId: id });
    expect(deleted.status).toBe(204);
    const { data } = await api.events.get({ calendarId, eventId: id });
    expect(data).toMatchObject({ id, status: 'cancelled' });
  });

  // ERRORS#410_gone
  it(`deleting a cancelled event again -> 410 deleted (${ERRORS})`, async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    await api.events.delete({ calendarId, eventId: id });
    const { status, body } = await statusOf(api.events.delete({ calendarId, eventId: id }));
    expect(status).toBe(410);
    expect(reasonOf(body)).toBe('deleted');
  });

  it('an update with status confirmed restores a cancelled event under the same id', async () => {
    const id = newId();
    await insert({ id, ...oneHour() });
    await api.events.delete({ calendarId, eventId: id });
    const { data } = await api.events.update({
      calendarId,
      eventId: id,
      requestBody: { status: 'confirmed', summary: 'Back', ...oneHour() },
    });
    expect(data).toMatchObject({ id, status: 'confirmed', summary: 'Back' });
    const listed = await api.events.list({ calendarId, iCalUID: `${id}@google.com` });
    expect(listed.data.items?.map((e) => e.id)).toEqual([id]);
  });
});

describe(`ETags and If-Match (${VERSIONS})`, () => {
  it('every change gives a new etag: patch, update, delete', async () => {
    const id = newId();
    const etags = [(await insert({ id, ...oneHour() })).data.etag];
    etags.push(
      (await api.events.patch({ calendarId, eventId: id, requestBody: { summary: 'a' } })).data.etag,
    );
    etags.push((await api.events.update({ calendarId, eventId: id, requestBody: oneHour() })).data.etag);
    await api.events.delete({ calendarId, eventId: id });
    etags.push((await api.events.get({ calendarId, eventId: id })).data.etag);
    expect(new Set(etags).size).toBe(4);
  });

  it('If-Match with the current etag writes; with a stale one -> 412 conditionNotMet', async () => {
    const id = newId();
    const first = (await insert({ id, ...oneHour() })).data.etag ?? '';
    const second = await api.events.patch(
      { calendarId, eventId: id, requestBody: { summary: 'ok' } },
      { headers: { 'If-Match': first } },
    );
    expect(second.status).toBe(200);
    for (const call of [
      api.events.patch(
        { calendarId, eventId: id, requestBody: { summary: 'late' } },
        { headers: { 'If-Match': first } },
      ),
      api.events.update(
        { calendarId, eventId: id, requestBody: oneHour() },
        { headers: { 'If-Match': first } },
      ),
      api.events.delete({ calendarId, eventId: id }, { headers: { 'If-Match': first } }),
    ]) {
      const { status, body } = await statusOf(call);
      expect(status).toBe(412);
      expect(body).toMatchObject({
        error: {
          code: 412,
          errors: [{ reason: 'conditionNotMet', locationType: 'header', location: 'If-Match' }],
        },
      });
    }
    expect((await api.events.get({ calendarId, eventId: id })).data.summary).toBe('ok');
  });

  it('a get with If-None-Match naming the current etag -> 304 Not Modified', async () => {
    const id = newId();
    const etag = (await insert({ id, ...oneHour() })).data.etag ?? '';
    const url = `${emulator.url}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events/${id}`;
    const authorization = `Bearer ${await accessToken(account)}`;
    expect((await fetch(url, { headers: { authorization, 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(url, { headers: { authorization, 'if-none-match': '"1"' } })).status).toBe(200);
  });
});

describe('malformed requests', () => {
  it(`a body that is not JSON -> 400 parseError (${ERRORS})`, async () => {
    const response = await fetch(
      `${emulator.url}/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await accessToken(account)}`,
          'content-type': 'application/json',
        },
        body: '{"summary": ',
      },
    );
    expect(response.status).toBe(400);
    expect(reasonOf(await response.json())).toBe('parseError');
  });
});
