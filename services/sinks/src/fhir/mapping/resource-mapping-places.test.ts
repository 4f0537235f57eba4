import { beforeAll, describe, expect, it } from 'vitest';
import { MINISTRY, compiled, mapped } from './test-mappings.ts';
import { localMicros, utcMicros } from './test-values.ts';
import { loadR4Definitions } from './r4-definitions.ts';
import { validateFhirResource } from './validate.ts';

// Indexing the R4 definitions takes a while on a busy machine: not on a test's clock.
beforeAll(() => void loadR4Definitions(), 60_000);

const appointment = {
  type: 'Appointment',
  identifier: { system: `${MINISTRY}/appointment-id`, value: 'appt-{id}' },
  resource: {
    status: '{status}',
    description: '{reason}',
    start: '{starts_at|instant}',
    end: '{ends_at|instant:local}',
    minutesDuration: '{minutes|integer}',
    participant: [
      {
        actor: { type: 'Patient', identifier: { system: `${MINISTRY}/patient-id`, value: 'p-{patient_id}' } },
        status: 'accepted',
      },
      {
        actor: {
          type: 'Practitioner',
          identifier: { system: `${MINISTRY}/practitioner-id`, value: '{practitioner}' },
        },
        status: '{practitioner_status}',
      },
    ],
  },
};

const appointmentRow = {
  id: 'a1f0c2de-5b8e-4d8a-9c51-9e0f3c1d2b7a',
  status: 'booked',
  reason: 'Second dose',
  starts_at: utcMicros('2024-05-02T08:30:00Z'),
  ends_at: localMicros('2024-05-02T10:45:00'),
  minutes: 15,
  patient_id: 1042n,
  practitioner: 'dr-martin',
  practitioner_status: 'tentative',
};

describe('Appointment', () => {
  it('maps instants and participants by identifier to a valid resource', () => {
    const mapping = compiled(appointment, 'Europe/Paris');
    const resource = mapped(mapping, appointmentRow);
    expect(resource).toStrictEqual({
      resourceType: 'Appointment',
      identifier: [
        { system: `${MINISTRY}/appointment-id`, value: 'appt-a1f0c2de-5b8e-4d8a-9c51-9e0f3c1d2b7a' },
      ],
      status: 'booked',
      description: 'Second dose',
      start: '2024-05-02T08:30:00Z',
      end: '2024-05-02T10:45:00+02:00',
      minutesDuration: 15,
      participant: [
        {
          actor: { type: 'Patient', identifier: { system: `${MINISTRY}/patient-id`, value: 'p-1042' } },
          status: 'accepted',
        },
        {
          actor: {
            type: 'Practitioner',
            identifier: { system: `${MINISTRY}/practitioner-id`, value: 'dr-martin' },
          },
          status: 'tentative',
        },
      ],
    });
    expect(validateFhirResource(resource)).toBeUndefined();
    expect(mapping.onDelete).toEqual({ status: 'cancelled' });
  });

  it('names the elements of an invalid resource', () => {
    const mapping = compiled(appointment, 'Europe/Paris');
    // No participant left: each entry's placeholders are all null, so both go.
    const row = { ...appointmentRow, patient_id: null, practitioner: null, practitioner_status: null };
    const alone = mapped(mapping, row);
    expect(alone['participant']).toBeUndefined();
    expect(validateFhirResource(alone)?.reason).toBe('Appointment.participant: Missing required property');

    const invalid = validateFhirResource({ ...alone, minutesDuration: 'fifteen', start: '2024-05-02' });
    expect(invalid?.reason).toBe(
      'Appointment.start: Invalid instant format; ' +
        'Appointment.minutesDuration: Invalid JSON type: expected number, but got string; ' +
        'Appointment.participant: Missing required property',
    );
    expect(invalid?.outcome).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'structure', expression: ['Appointment.start'] }, {}, {}],
    });
  });

  it('leaves terminology bindings to the FHIR server (medplum checks them against no value set)', () => {
    const resource = mapped(compiled(appointment, 'Europe/Paris'), { ...appointmentRow, status: 'planned' });
    expect(validateFhirResource(resource)).toBeUndefined();
  });
});

const organization = {
  type: 'Organization',
  identifier: { system: `${MINISTRY}/organization-id`, value: 'org-{id}' },
  resource: {
    active: '{active}',
    type: [{ coding: ['{kind|code:org_type}'] }],
    name: '{name}',
    alias: '{aliases}',
    telecom: [{ system: 'url', value: '{website}' }],
    address: [{ line: ['{street}'], city: '{city}', country: 'FR' }],
  },
};

const location = {
  type: 'Location',
  identifier: { system: `${MINISTRY}/site-id`, value: 'site-{id}' },
  resource: {
    status: 'active',
    name: '{name}',
    position: { latitude: '{lat|decimal}', longitude: '{lng|decimal}' },
    managingOrganization: {
      identifier: { system: `${MINISTRY}/organization-id`, value: 'org-{organization_id}' },
    },
  },
};

describe('Organization and Location', () => {
  it('maps an organization with a coded type and a list column', () => {
    const resource = mapped(compiled(organization), {
      id: 3,
      active: true,
      kind: 'hospital',
      name: 'Hôpital Saint-Louis',
      aliases: ['APHP Saint-Louis', null],
      website: null,
      street: '1 avenue Claude Vellefaux',
      city: 'Paris',
    });
    expect(resource).toStrictEqual({
      resourceType: 'Organization',
      identifier: [{ system: `${MINISTRY}/organization-id`, value: 'org-3' }],
      active: true,
      type: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/organization-type',
              code: 'prov',
              display: 'Healthcare Provider',
            },
          ],
        },
      ],
      name: 'Hôpital Saint-Louis',
      alias: ['APHP Saint-Louis'],
      address: [{ line: ['1 avenue Claude Vellefaux'], city: 'Paris', country: 'FR' }],
    });
    expect(validateFhirResource(resource)).toBeUndefined();
    expect(compiled(organization).onDelete).toEqual({ active: false });
  });

  it('maps a location with exact decimal columns and its organization by identifier', () => {
    const resource = mapped(compiled(location), {
      id: 'paris-11',
      name: 'Vaccination centre Paris 11',
      lat: '48.856600',
      lng: '2.352200',
      organization_id: 3,
    });
    expect(resource).toStrictEqual({
      resourceType: 'Location',
      identifier: [{ system: `${MINISTRY}/site-id`, value: 'site-paris-11' }],
      status: 'active',
      name: 'Vaccination centre Paris 11',
      position: { latitude: 48.8566, longitude: 2.3522 },
      managingOrganization: { identifier: { system: `${MINISTRY}/organization-id`, value: 'org-3' } },
    });
    expect(validateFhirResource(resource)).toBeUndefined();
    expect(compiled(location).onDelete).toEqual({ status: 'inactive' });
  });
});
