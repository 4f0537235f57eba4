import { describe, expect, it } from 'vitest';
import { needsOperator, type CdcError, type SinkEvent, type SinkRow } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import { event } from '../../test/conformance.ts';
import { writeUntilDone } from '../fhir/fhir-test-target.ts';
import { control, newAccount, patientSink, requestLog } from './calendar-test-target.ts';
import { APPOINTMENT_TEMPLATE } from './test-templates.ts';

// The Calendar sink against the stack's Calendar emulator: what the conformance suite does not
// ask (revived rows, Calendar's quota and its rate-limit answers, refusals, time zones).

const iso = isolate('calendar-sink');
const url = () => iso.env.GOOGLE_CALENDAR_URL;

const APPOINTMENTS = { 'public.appointments': APPOINTMENT_TEMPLATE };

/** A change of `public.appointments(id, patient, patient_id, notes, room, starts_at, minutes)`. */
function appointment(op: 'c' | 'u' | 'd', id: number, row: Partial<SinkRow> = {}): SinkEvent {
  const base = event(op, id);
  const full = {
    id: BigInt(id),
    patient: 'Ada',
    patient_id: 7n,
    notes: null,
    room: 'B2',
    minutes: 30,
    ...row,
  };
  return {
    ...base,
    topic: 'cdc.public.appointments',
    table: { schema: 'public', name: 'appointments' },
    before: op === 'd' ? { id: BigInt(id) } : null,
    after: op === 'd' ? null : full,
  };
}

const at = (iso8601: string) => BigInt(Date.parse(iso8601)) * 1000n;
const kinds = (outcomes: readonly { kind: string }[]) => outcomes.map((outcome) => outcome.kind);

describe('google_calendar sink', () => {
  it('shows an appointment stored at 08:00Z on the day Paris changes to summer time at 10:00+02:00', async () => {
    const target = await patientSink(url(), { tables: APPOINTMENTS });
    await target.sink.start();
    try {
      const outcomes = await target.sink.write([
        appointment('c', 1, { starts_at: at('2025-03-30T08:00:00Z') }),
      ]);
      expect(kinds(outcomes)).toEqual(['written']);
      const held = await target.person.get(target.sink.eventIdOf('public.appointments', { id: 1n }));
      expect(held).toMatchObject({
        summary: 'Appointment: Ada',
        location: 'B2',
        start: { dateTime: '2025-03-30T10:00:00+02:00', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-30T10:30:00+02:00', timeZone: 'Europe/Paris' },
        extendedProperties: { private: { patient_id: '7' } },
      });
    } finally {
      await target.sink.close();
    }
  });

  it('ends a deleted then re-inserted appointment as one confirmed event with the same id', async () => {
    const target = await patientSink(url(), { tables: APPOINTMENTS });
    await target.sink.start();
    const id = target.sink.eventIdOf('public.appointments', { id: 1n });
    const starts = { starts_at: at('2025-06-02T07:00:00Z') };
    try {
      expect(kinds(await target.sink.write([appointment('c', 1, starts)]))).toEqual(['written']);
      expect(kinds(await target.sink.write([appointment('d', 1)]))).toEqual(['written']);
      expect((await target.person.get(id))?.status).toBe('cancelled');
      const again = appointment('c', 1, { ...starts, patient: 'Ada again' });
      expect(kinds(await target.sink.write([again]))).toEqual(['written']);
      // A sink without the cache (a restart): its insert meets the id (409), reads, and is stale.
      const restarted = await patientSink(url(), {
        tables: APPOINTMENTS,
        credentials: JSON.stringify(target.owner.key),
        calendar_id: target.owner.calendar_id,
      });
      await restarted.sink.start();
      expect(kinds(await restarted.sink.write([again]))).toEqual(['stale']);
      await restarted.sink.close();
      // Inserted, deleted and inserted again within one batch, for a key the calendar never had.
      const other = [
        appointment('c', 2, starts),
        appointment('d', 2),
        appointment('c', 2, { ...starts, patient: 'Bob' }),
      ];
      expect(kinds(await target.sink.write(other))).toEqual(['written', 'written', 'written']);
      const events = await target.person.list();
      expect(events.filter((held) => held.id === id)).toMatchObject([
        { status: 'confirmed', summary: 'Appointment: Ada again' },
      ]);
      expect(
        events.filter((held) => held.id === target.sink.eventIdOf('public.appointments', { id: 2n })),
      ).toMatchObject([{ status: 'confirmed', summary: 'Appointment: Bob' }]);
      expect(events).toHaveLength(2);
    } finally {
      await target.sink.close();
    }
  });

  it('sends one request per event in steady state, and none for a replay', async () => {
    const target = await patientSink(url());
    await target.sink.start();
    try {
      const inserts = Array.from({ length: 10 }, (_, i) => event('c', i + 1, { name: `p${i}` }));
      await target.sink.write(inserts);
      const updates = Array.from({ length: 10 }, (_, i) => event('u', i + 1, { name: `q${i}` }));
      await target.sink.write(updates);
      expect(kinds(await target.sink.write([...inserts, ...updates]))).toEqual(new Array(20).fill('stale'));
      const log = await requestLog(url(), target.owner.key.client_email);
      // calendars.get at start, then 10 inserts and 10 updates.
      expect(log.map((request) => request.method)).toEqual([
        'GET',
        ...Array<string>(10).fill('POST'),
        ...Array<string>(10).fill('PUT'),
      ]);
      expect(target.sink.requests).toBe(21);
    } finally {
      await target.sink.close();
    }
  });

  it('loses nothing through a storm of 429s, 403 rateLimitExceeded and 503s, and pauses instead of hammering', async () => {
    const target = await patientSink(url());
    await target.sink.start();
    const principal = target.owner.key.client_email;
    const events = Array.from({ length: 20 }, (_, i) => event('c', i + 1, { name: `p${i}`, visits: i }));
    // Each fault covers the next requests of the account, one attempt of the batch after the other.
    const storm = [
      { kind: 'rate_limited', count: 3, answer: /answered 429 rateLimitExceeded/u },
      { kind: 'rate_limited', status: 403, count: 2, answer: /answered 403 rateLimitExceeded/u },
      { kind: 'overloaded', count: 1, answer: /answered 503 backendError/u },
    ];
    try {
      for (const { answer, ...fault } of storm) {
        await control(url(), 'POST', '/_emulator/faults', { principal, ...fault });
        const failure = await target.sink.write(events).then(
          () => undefined,
          (error: unknown) => error as CdcError,
        );
        expect(failure).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
        expect(failure?.message).toMatch(answer);
      }
      const outcomes = await writeUntilDone(target.sink, events, { pauseMs: 100 });
      // What an attempt wrote before the batch failed comes back stale in the next: never doubled.
      expect(kinds(outcomes).every((kind) => kind === 'written' || kind === 'stale')).toBe(true);
      for (let i = 0; i < 20; i += 1) {
        expect(await target.read(BigInt(i + 1))).toMatchObject({ name: `p${i}`, visits: i });
      }
      const log = await requestLog(url(), principal);
      const refused = log.map((request) => request.status).filter((status) => status >= 400);
      expect(refused.sort()).toEqual([403, 403, 429, 429, 429, 503]);
      expect(log.filter((request) => request.method === 'POST' && request.status === 200)).toHaveLength(20);
      // After a rate-limit answer the sink sent nothing for a second: only requests already on
      // their way arrived meanwhile.
      for (const limited of log.filter((request) => request.status === 429 || request.status === 403)) {
        const soon = log.filter(
          (request) => request.at_ms > limited.at_ms + 50 && request.at_ms < limited.at_ms + 900,
        );
        expect(soon).toEqual([]);
      }
    } finally {
      await target.sink.close();
    }
  });

  it('counts a slow answer as a timeout, retriable, and writes the event once after it', async () => {
    const target = await patientSink(url(), { timeout_ms: 300 });
    await target.sink.start();
    const principal = target.owner.key.client_email;
    try {
      await control(url(), 'POST', '/_emulator/faults', {
        principal,
        kind: 'slow',
        delay_ms: 1500,
        count: 1,
      });
      const insert = event('c', 1, { name: 'Ada' });
      const failure = await target.sink.write([insert]).then(
        () => undefined,
        (error: unknown) => error as CdcError,
      );
      expect(failure).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
      expect(failure?.message).toMatch(
        /^Google Calendar is unavailable: events\.insert of event [a-v0-9]+ got no answer within 300 ms$/u,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Whether the slow insert landed or not, the retry ends with the one event.
      expect(['written', 'stale']).toContain((await writeUntilDone(target.sink, [insert]))[0]?.kind);
      expect(await target.read(1n)).toMatchObject({ name: 'Ada' });
      expect(await target.person.list()).toHaveLength(1);
    } finally {
      await target.sink.close();
    }
  });

  it('runs at the quota and never over it', async () => {
    const target = await patientSink(url(), { requests: { per_second: 5, burst: 2 } });
    const principal = target.owner.key.client_email;
    await control(url(), 'PUT', '/_emulator/rate', { principal, per_second: 5, burst: 5 });
    await target.sink.start();
    try {
      const started = Date.now();
      for (let batch = 0; batch < 3; batch += 1) {
        const events = Array.from({ length: 10 }, (_, i) => event('c', batch * 10 + i + 1, { name: 'x' }));
        expect(kinds(await target.sink.write(events))).toEqual(new Array(10).fill('written'));
      }
      const elapsed = Date.now() - started;
      const log = await requestLog(url(), principal);
      // calendars.get at start, then one insert per event, none refused by the emulator's rate limit.
      expect(log.map((request) => `${request.method} ${request.status}`)).toEqual([
        'GET 200',
        ...Array<string>(30).fill('POST 200'),
      ]);
      // At most the client's burst plus a second's rate in any second; and no slower than the quota needs.
      for (const request of log) {
        const within = log.filter(
          (other) => other.at_ms >= request.at_ms && other.at_ms < request.at_ms + 1000,
        );
        expect(within.length).toBeLessThanOrEqual(2 + 5);
      }
      expect(elapsed).toBeGreaterThanOrEqual(((31 - 2) / 5) * 1000 - 300);
      expect(elapsed).toBeLessThan(((31 - 2) / 5) * 1000 + 2000);
    } finally {
      await target.sink.close();
    }
  });

  it('fails only the event Calendar refuses, with Google’s message', async () => {
    const target = await patientSink(url(), {
      tables: { 'public.appointments': { ...APPOINTMENT_TEMPLATE, end: { field: 'ends_at' } } },
    });
    await target.sink.start();
    try {
      const starts_at = at('2025-06-02T07:00:00Z');
      const outcomes = await target.sink.write([
        appointment('c', 1, { starts_at, ends_at: at('2025-06-02T07:30:00Z') }),
        appointment('c', 2, { starts_at, ends_at: at('2025-06-02T06:00:00Z') }),
        appointment('c', 3, { starts_at, ends_at: null }),
      ]);
      expect(outcomes).toEqual([
        { kind: 'written' },
        {
          kind: 'failed',
          reason: expect.stringMatching(
            /^Google Calendar refused events\.insert of event [a-v0-9]+: 400 timeRangeEmpty: The specified time range is empty\.$/u,
          ) as string,
        },
        {
          kind: 'failed',
          reason: 'public.appointments: field ends_at is null: an event needs an end (end.field)',
        },
      ]);
    } finally {
      await target.sink.close();
    }
  });

  it('says at start what is wrong with the calendar or the credentials, and how to fix it', async () => {
    const owner = await newAccount(url());
    const missing = await patientSink(url(), {
      credentials: JSON.stringify(owner.key),
      calendar_id: 'nope@group.calendar.google.com',
    });
    const error = await missing.sink.start().then(
      () => undefined,
      (failure: unknown) => failure as CdcError,
    );
    expect(needsOperator(error)).toBe(true);
    expect(error?.message).toBe(
      `sinks[0].calendar_id: Google Calendar has no calendar nope@group.calendar.google.com that service account ${owner.key.client_email} can see`,
    );
    expect(error?.fix).toContain(
      `share calendar nope@group.calendar.google.com with ${owner.key.client_email}`,
    );

    const unknownAccount = { ...owner.key, client_email: 'nobody@cdc-emulator.iam.gserviceaccount.com' };
    const refused = await patientSink(url(), {
      credentials: JSON.stringify(unknownAccount),
      calendar_id: owner.calendar_id,
    });
    const refusal = await refused.sink.start().then(
      () => undefined,
      (failure: unknown) => failure as CdcError,
    );
    expect(needsOperator(refusal)).toBe(true);
    expect(refusal?.message).toMatch(
      /^Google refused the credentials of service account nobody@cdc-emulator\.iam\.gserviceaccount\.com \(sinks\[0\]\.credentials\): the token request answered 400 invalid_grant/u,
    );

    const garbled = await patientSink(url(), { credentials: '{"type": "service_account"}' });
    await expect(garbled.sink.start()).rejects.toThrow('sinks[0].credentials: has no client_email');
  });
});
