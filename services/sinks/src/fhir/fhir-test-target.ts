import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CdcError, type Sink, type SinkEvent, type SinkRow, type WriteOutcome } from '@cdc/core';
import { fhirKind } from './kind.ts';
import { parseFhirSinkConfig, type FhirSinkInput } from './config.ts';
import type { FhirResource } from './mapping/index.ts';

/**
 * The conformance table `patients(id, name, email, notes, visits)` as FHIR Patients on a real
 * server, for the int tests: each call gets an identifier system of its own, so tests sharing
 * the server never see each other's resources. `read` turns a Patient back into the row.
 */
export const NOTES_URL = 'urn:cdc:test:notes';
export const VISITS_URL = 'urn:cdc:test:visits';

/** The Patient template of the conformance table; tests may give another. */
const PATIENT_TEMPLATE = {
  name: [{ text: '{name}' }],
  telecom: [{ system: 'email', value: '{email}' }],
  extension: [
    { url: NOTES_URL, valueString: '{notes}' },
    { url: VISITS_URL, valueInteger: '{visits}' },
  ],
};

export function patientSink(
  fhirUrl: string,
  overrides: Partial<FhirSinkInput> = {},
  template: Record<string, unknown> = PATIENT_TEMPLATE,
  /** Where `read` looks (the server itself when the sink goes through a gateway). */
  readUrl: string = fhirUrl,
) {
  const system = `urn:cdc:test:${randomUUID()}`;
  const entry = parseFhirSinkConfig({
    kind: 'fhir',
    name: 'fhir-test',
    topics: ['cdc.public.patients'],
    url: fhirUrl,
    resources: {
      'public.patients': {
        type: 'Patient',
        identifier: { system, value: '{id}' },
        resource: template,
      },
    },
    ...overrides,
  });
  const sink = fhirKind.create(entry, { url: fhirUrl, urlSetting: 'sinks[0].url', path: 'sinks[0]' });
  const base = readUrl.replace(/\/$/u, '');

  /** Every Patient carrying the identifier (a conditional update must keep it to one). */
  const held = async (id: bigint): Promise<FhirResource[]> => {
    const response = await fetch(`${base}/Patient?identifier=${encodeURIComponent(`${system}|${id}`)}`, {
      headers: { accept: 'application/fhir+json', 'cache-control': 'no-cache' },
    });
    if (!response.ok) throw new Error(`search answered ${response.status}: ${await response.text()}`);
    const bundle = (await response.json()) as { entry?: { resource: FhirResource }[] };
    return (bundle.entry ?? []).map((entry) => entry.resource);
  };

  return {
    sink,
    system,
    held,
    /** The row a Patient stands for; null when there is none or it is marked deleted (active: false). */
    read: async (id: bigint): Promise<SinkRow | null> => {
      const found = await held(id);
      if (found.length > 1) throw new Error(`${found.length} Patients carry identifier ${system}|${id}`);
      const patient = found[0];
      if (!patient || patient.active === false) return null;
      const extension = (url: string) =>
        (patient.extension as { url: string; [value: string]: unknown }[] | undefined)?.find(
          (e) => e.url === url,
        );
      return {
        id,
        name: (patient.name as { text?: string }[] | undefined)?.[0]?.text ?? null,
        email: (patient.telecom as { value?: string }[] | undefined)?.[0]?.value ?? null,
        notes: extension(NOTES_URL)?.valueString ?? null,
        visits: extension(VISITS_URL)?.valueInteger ?? null,
      };
    },
    exists: async (id: bigint) => (await held(id)).length > 0,
    /** A person edits the Patient at the server (name, email, notes, visits; other fields ignored). */
    editDirectly: async (id: bigint, changes: SinkRow): Promise<void> => {
      const [patient] = await held(id);
      if (!patient) throw new Error(`no Patient carries identifier ${system}|${id}`);
      const edited = structuredClone(patient) as Record<string, unknown> & { extension?: { url: string }[] };
      if ('name' in changes) edited.name = [{ text: changes.name }];
      if ('email' in changes) edited.telecom = [{ system: 'email', value: changes.email }];
      for (const [field, url, key] of [
        ['notes', NOTES_URL, 'valueString'],
        ['visits', VISITS_URL, 'valueInteger'],
      ] as const) {
        if (!(field in changes)) continue;
        const others = (edited.extension ?? []).filter((extension) => extension.url !== url);
        edited.extension = [...others, { url, [key]: changes[field] }];
      }
      const response = await fetch(`${base}/Patient/${String(patient.id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(edited),
      });
      if (!response.ok) throw new Error(`editing answered ${response.status}: ${await response.text()}`);
    },
  };
}

/**
 * Writes a batch the way the sink runtime does: again, after `pauseMs`, while the failure is
 * retriable; each such failure is added to `failures`.
 */
export async function writeUntilDone(
  sink: Sink,
  events: readonly SinkEvent[],
  { failures = [], pauseMs = 1_000 }: { failures?: CdcError[]; pauseMs?: number } = {},
): Promise<WriteOutcome[]> {
  for (;;) {
    try {
      return await sink.write(events);
    } catch (error) {
      if (!(error instanceof CdcError) || !error.retriable) throw error;
      failures.push(error);
      await sleep(pauseMs);
    }
  }
}
