import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { fhirResourceMappingSchema } from './config.ts';
import { compileResourceMapping } from './resource-mapping.ts';
import { MINISTRY, codes, compiled, mapped } from './test-mappings.ts';
import { day, localMicros, utcMicros } from './test-values.ts';
import { loadR4Definitions } from './r4-definitions.ts';
import { validateFhirResource } from './validate.ts';

// Indexing the R4 definitions takes a while on a busy machine: not on a test's clock.
beforeAll(() => void loadR4Definitions(), 60_000);

const patient = {
  type: 'Patient',
  identifier: { system: `${MINISTRY}/patient-id`, value: 'p-{id}' },
  resource: {
    active: true,
    name: [
      {
        use: 'official',
        text: '{first_name} {last_name}',
        family: '{last_name}',
        given: ['{first_name}', '{middle_names}'],
      },
    ],
    gender: '{gender}',
    birthDate: '{birth_date|date}',
    telecom: [
      { system: 'email', value: '{email}', use: 'home' },
      { system: 'phone', value: '{phone}', use: 'mobile' },
    ],
    extension: [
      {
        url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
        valueAddress: { city: '{birth_city}' },
      },
    ],
    address: [
      { use: 'home', line: ['{street}'], city: '{city}', postalCode: '{postal_code}', country: '{country}' },
    ],
    photo: [{ contentType: 'image/png', data: '{photo}' }],
  },
};

const patientRow = {
  id: 1042n,
  first_name: 'Anne',
  middle_names: ['Marie', null],
  last_name: 'Dupont',
  gender: 'female',
  birth_date: day('1985-07-14'),
  email: null,
  phone: '+33 6 12 34 56 78',
  birth_city: 'Lyon',
  street: '12 rue de la Paix',
  city: 'Paris',
  postal_code: '75002',
  country: 'FR',
  photo: null,
};

const immunizationYaml = `
type: Immunization
identifier: { system: 'https://ministry.example.org/immunization-id', value: 'imm-{id}' }
resource:
  status: completed
  vaccineCode: { coding: ['{vaccine|code:cvx}'] }
  patient: { identifier: { system: 'https://ministry.example.org/patient-id', value: '{patient_id}' } }
  occurrenceDateTime: '{given_at|dateTime}'
  lotNumber: '{lot}'
  extension:
    - { url: 'https://example.org/fhir/StructureDefinition/dose-number', valueInteger: '{dose}' }
`;

const immunization = {
  resourceType: 'Immunization',
  identifier: [{ system: `${MINISTRY}/immunization-id`, value: 'imm-7' }],
  status: 'completed',
  vaccineCode: {
    coding: [
      {
        system: 'http://hl7.org/fhir/sid/cvx',
        code: '208',
        display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose',
      },
    ],
  },
  patient: { identifier: { system: `${MINISTRY}/patient-id`, value: 'p-1042' } },
  occurrenceDateTime: '2021-03-04T09:00:00Z',
  lotNumber: 'EW0182',
  extension: [{ url: 'https://example.org/fhir/StructureDefinition/dose-number', valueInteger: 2 }],
};

const immunizationRow = {
  id: 7,
  vaccine: 'pfizer_covid',
  patient_id: 'p-1042',
  given_at: utcMicros('2021-03-04T09:00:00Z'),
  lot: 'EW0182',
  dose: 2,
};

describe('Patient', () => {
  it('maps a row to a valid resource, dropping null fields', () => {
    const resource = mapped(compiled(patient), patientRow);
    expect(mapped(compiled(patient), { ...patientRow, photo: Buffer.from('png') })['photo']).toEqual([
      { contentType: 'image/png', data: 'cG5n' },
    ]);
    expect(resource).toStrictEqual({
      resourceType: 'Patient',
      identifier: [{ system: `${MINISTRY}/patient-id`, value: 'p-1042' }],
      active: true,
      name: [{ use: 'official', text: 'Anne Dupont', family: 'Dupont', given: ['Anne', 'Marie'] }],
      gender: 'female',
      birthDate: '1985-07-14',
      telecom: [{ system: 'phone', value: '+33 6 12 34 56 78', use: 'mobile' }],
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Lyon' } },
      ],
      address: [
        { use: 'home', line: ['12 rue de la Paix'], city: 'Paris', postalCode: '75002', country: 'FR' },
      ],
    });
    expect(validateFhirResource(resource)).toBeUndefined();
  });

  it('keeps the elements of fields PostgreSQL did not send (unchanged TOAST)', () => {
    const mapping = compiled(patient);
    const row = { ...patientRow, photo: null, street: null };
    const result = mapping.map(row, { id: 1042n }, ['photo', 'street']);
    expect(result).toMatchObject({ keep: [{ element: 'address' }, { element: 'photo' }] });
    if ('reason' in result) throw new Error(result.reason);
    expect(Object.keys(result.resource)).toEqual([
      'resourceType',
      'identifier',
      'active',
      'name',
      'gender',
      'birthDate',
      'telecom',
      'extension',
    ]);
  });

  it('retires deleted rows by default, and lists the fields it reads', () => {
    const mapping = compiled(patient);
    expect(mapping.onDelete).toEqual({ active: false });
    expect(mapping.resourceType).toBe('Patient');
    expect(mapping.identifierSystem).toBe(`${MINISTRY}/patient-id`);
    expect(mapping.fields).toContain('middle_names');
    expect(compiled({ ...patient, on_delete: { active: false, deceasedBoolean: true } }).onDelete).toEqual({
      active: false,
      deceasedBoolean: true,
    });
  });
});

describe('Immunization', () => {
  it('maps the YAML of the FHIR sink: CVX code, patient by identifier, timestamptz, dose', () => {
    const resource = mapped(compiled(parse(immunizationYaml)), immunizationRow);
    expect(resource).toStrictEqual(immunization);
    expect(validateFhirResource(resource)).toBeUndefined();
    expect(compiled(parse(immunizationYaml)).onDelete).toEqual({ status: 'entered-in-error' });
  });

  it('reads timestamp columns (no zone) in time_zone, across DST', () => {
    const yaml = immunizationYaml.replace('{given_at|dateTime}', '{given_at|dateTime:local}');
    const mapping = compiled(parse(yaml), 'Europe/Paris');
    const at = (wallClock: string) => {
      const resource = mapped(mapping, { ...immunizationRow, given_at: localMicros(wallClock) });
      expect(validateFhirResource(resource)).toBeUndefined();
      return resource['occurrenceDateTime'];
    };
    expect(at('2021-03-04T10:00:00')).toBe('2021-03-04T10:00:00+01:00');
    expect(at('2021-07-01T10:00:00')).toBe('2021-07-01T10:00:00+02:00');
    // The night clocks went forward: 01:59 is winter time, 03:00 summer time, 02:30 never was.
    expect(at('2021-03-28T01:59:00')).toBe('2021-03-28T01:59:00+01:00');
    expect(at('2021-03-28T03:00:00')).toBe('2021-03-28T03:00:00+02:00');
    expect(at('2021-03-28T02:30:00')).toBe('2021-03-28T03:30:00+02:00');
    // A timestamptz column stays an instant in UTC whatever the zone.
    const utcMapping = compiled(parse(immunizationYaml), 'Europe/Paris');
    expect(mapped(utcMapping, immunizationRow)['occurrenceDateTime']).toBe('2021-03-04T09:00:00Z');
  });

  it('fails a row whose vaccine is not in the code table, naming the field', () => {
    const mapping = compiled(parse(immunizationYaml));
    expect(mapping.map({ ...immunizationRow, vaccine: 'xyz' }, { id: 7 }, [])).toEqual({
      reason:
        "field vaccine: 'xyz' is not in code table cvx (http://hl7.org/fhir/sid/cvx) (in vaccineCode.coding[0])",
      field: 'vaccine',
    });
  });

  it('takes the identifier from the key row, and fails a key without its field', () => {
    const mapping = compiled({
      ...parse(immunizationYaml),
      identifier: { system: `${MINISTRY}/immunization-id`, value: 'p-{patient_no}' },
    } as unknown);
    expect(mapping.identifierOf({ patient_no: 12n })).toEqual({ value: 'p-12' });
    const failure = {
      reason: "the key has no field patient_no for identifier value 'p-{patient_no}' (key fields: id)",
      field: 'patient_no',
    };
    expect(mapping.identifierOf({ id: 7 })).toEqual(failure);
    expect(mapping.map({ ...immunizationRow, patient_no: 12n }, { id: 7 }, [])).toEqual(failure);
    expect(mapping.identifierOf({ patient_no: null })).toMatchObject({
      reason: "the key field patient_no is null, which identifier value 'p-{patient_no}' cannot hold",
    });
  });

  it('refuses to compile what the schemas would refuse', () => {
    const config = fhirResourceMappingSchema.parse(parse(immunizationYaml));
    expect(() => compileResourceMapping(config, {}, 'UTC')).toThrow(CdcError);
    expect(() => compileResourceMapping(config, {}, 'UTC')).toThrow('there is no code table cvx under codes');
    expect(() => compileResourceMapping(config, codes, 'Mars/Olympus')).toThrow(
      'Mars/Olympus is not an IANA time zone',
    );
  });
});
