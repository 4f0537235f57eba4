import type { EventTemplateConfig } from './template-config.ts';

/**
 * The conformance table `patients(id, name, email, notes, visits)` as events, for the tests: the
 * name is the title, the email the location, the notes the description, the visits a shared
 * extended property; every patient's event starts at one fixed time (the table has none).
 */
export const PATIENT_TEMPLATE = {
  summary: '{name}',
  location: '{email}',
  description: '{notes}',
  shared: { visits: '{visits}' },
  start: { value: '2025-06-02T09:00:00Z' },
  end: { minutes: 30 },
} satisfies EventTemplateConfig;

/** An appointments table as a clinic would map it: a timestamptz start and a duration. */
export const APPOINTMENT_TEMPLATE = {
  summary: 'Appointment: {patient}',
  description: '{notes}',
  location: '{room}',
  start: { field: 'starts_at' },
  end: { minutes_field: 'minutes' },
  time_zone: 'Europe/Paris',
  private: { patient_id: '{patient_id}' },
} satisfies EventTemplateConfig;
