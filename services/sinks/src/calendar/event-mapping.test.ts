import { describe, expect, it } from 'vitest';
import { compileEventMapping } from './event-mapping.ts';
import { APPOINTMENT_TEMPLATE, PATIENT_TEMPLATE } from './test-templates.ts';

// A row as the places of an event: texts from templates, start and end from fields, extended
// properties; and back, the fields a person may have edited in Calendar.

const appointments = compileEventMapping('public.appointments', APPOINTMENT_TEMPLATE, 'UTC');
const patients = compileEventMapping('public.patients', PATIENT_TEMPLATE, 'UTC');

const startsAt = BigInt(Date.parse('2025-03-30T08:00:00Z')) * 1000n;
const row = {
  id: 1n,
  patient: 'Ada',
  patient_id: 42n,
  notes: null,
  room: 'B2',
  starts_at: startsAt,
  minutes: 45,
};

describe('mapping a row', () => {
  it('fills the texts and shows the start at the clinic’s local time, the end after the minutes', () => {
    expect(appointments.map(row, [])).toEqual({
      values: {
        summary: 'Appointment: Ada',
        description: null,
        location: 'B2',
        'private.patient_id': '42',
        start: { dateTime: '2025-03-30T10:00:00+02:00', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-30T10:45:00+02:00', timeZone: 'Europe/Paris' },
      },
      keep: [],
    });
  });

  it('keeps the places of fields PostgreSQL did not send (unchanged TOAST)', () => {
    const mapped = appointments.map({ ...row, notes: null }, ['notes']);
    expect(mapped).toMatchObject({ keep: ['description'] });
    expect('values' in mapped && 'description' in mapped.values).toBe(false);
  });

  it('fails a row that cannot be an event, naming the field', () => {
    expect(appointments.map({ ...row, starts_at: null }, [])).toEqual({
      reason: 'field starts_at is null: an event needs a start (start.field)',
      field: 'starts_at',
    });
    expect(appointments.map({ ...row, minutes: 'soon' }, [])).toEqual({
      reason:
        "field minutes is 'soon', not a whole number of minutes: the event's end is its start plus these minutes",
      field: 'minutes',
    });
    expect(appointments.map({ ...row, patient: ['a', 'b'] }, [])).toMatchObject({ field: 'patient' });
    expect(appointments.map({ ...row, starts_at: 20000 }, [])).toMatchObject({
      reason: expect.stringContaining('field starts_at: 20000 is a date (a day number)') as string,
    });
  });

  it('writes a fixed start for tables without times, and numbers as text', () => {
    expect(patients.map({ id: 1n, name: 'Ada', email: null, notes: null, visits: 2 }, [])).toEqual({
      values: {
        summary: 'Ada',
        location: null,
        description: null,
        'shared.visits': '2',
        start: { dateTime: '2025-06-02T09:00:00Z', timeZone: 'UTC' },
        end: { dateTime: '2025-06-02T09:30:00Z', timeZone: 'UTC' },
      },
      keep: [],
    });
  });
});

describe('reading an event back', () => {
  it('reads the fields a place holds whole, whatever offset Calendar writes times with', () => {
    const event = {
      summary: 'Appointment: Ada',
      location: 'B3',
      start: { dateTime: '2025-03-30T08:00:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2025-03-30T10:30:00+02:00' },
      extendedProperties: { private: { patient_id: '42', cdc_version: 'x' } },
    };
    // summary is 'Appointment: {patient}': text around it, so it is not read back.
    expect(appointments.readFields(appointments.placesOf(event))).toEqual({
      room: 'B3',
      notes: null,
      patient_id: '42',
      starts_at: Date.parse('2025-03-30T08:00:00Z'),
      minutes: 30,
    });
    expect(appointments.placeOf('minutes')).toBe('end');
    expect(appointments.placeOf('patient')).toBeUndefined();
  });
});
