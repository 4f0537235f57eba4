/**
 * What marks a resource whose row was deleted, per type: FHIR servers keep history and other
 * resources refer to these, so a deleted row retires its resource rather than removing it. Only
 * types with an obvious R4 marker (an `active` flag, or a status code meaning gone or withdrawn);
 * any other type needs `on_delete` in its mapping.
 */
export const ON_DELETE_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.freeze({
  Patient: Object.freeze({ active: false }),
  Practitioner: Object.freeze({ active: false }),
  PractitionerRole: Object.freeze({ active: false }),
  Organization: Object.freeze({ active: false }),
  Immunization: Object.freeze({ status: 'entered-in-error' }),
  Observation: Object.freeze({ status: 'entered-in-error' }),
  Encounter: Object.freeze({ status: 'entered-in-error' }),
  Medication: Object.freeze({ status: 'entered-in-error' }),
  Location: Object.freeze({ status: 'inactive' }),
  Appointment: Object.freeze({ status: 'cancelled' }),
});

export function onDeleteDefault(type: string): Readonly<Record<string, unknown>> | undefined {
  return Object.hasOwn(ON_DELETE_DEFAULTS, type) ? ON_DELETE_DEFAULTS[type] : undefined;
}
