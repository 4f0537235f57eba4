// Child process of bench/sinks-fhir.ts (phase e of bench:sinks): the ceiling of the FHIR sink. A
// plain `fetch` loop makes the requests the sink makes for the same rows, to the same server: per
// chunk of identifiers a search (as the sink reads what the server holds), then either one
// conditional update per resource, as many at once as the sink's concurrency, or transaction
// Bundles of the sink's size. The resources are the sink's (the bench's mapping, written out by
// hand) under an identifier system of their own, so that both halves create as many resources.
import { readFileSync } from 'node:fs';
import { machineBusySince, machineCpu } from './common.ts';

export interface FhirRawInput {
  readonly url: string;
  readonly system: string;
  /** A JSON file of FhirBenchRow[]. */
  readonly rows: string;
  readonly mode: 'update' | 'transaction';
  readonly concurrency: number;
  readonly bundleEntries: number;
}

/** What the bench's mapping reads of a patient row. */
export interface FhirBenchRow {
  readonly id: string;
  readonly given_name: string;
  readonly family_name: string;
  readonly email: string;
  readonly phone: string;
  readonly birth_date: string;
}

export type FhirRawMessage =
  | {
      readonly kind: 'report';
      readonly resources: number;
      readonly requests: number;
      readonly seconds: number;
      readonly failed: number;
      readonly cpuUsPerResource: number;
      readonly machineBusy: number;
    }
  | { readonly kind: 'failed'; readonly error: string };

const SEARCH_CHUNK = 50; // the sink's identifiers per search (services/sinks/src/fhir/fhir-client.ts)
const JSON_TYPE = 'application/fhir+json';
const input = JSON.parse(process.argv[2] ?? '{}') as FhirRawInput;
const rows = JSON.parse(readFileSync(input.rows, 'utf8')) as FhirBenchRow[];
const base = input.url.replace(/\/$/u, '');
const token = (value: string) => encodeURIComponent(`${input.system}|${value}`);
let requests = 0;
let failed = 0;

function patient(row: FhirBenchRow) {
  return {
    resourceType: 'Patient',
    identifier: [{ system: input.system, value: row.id }],
    name: [{ family: row.family_name, given: [row.given_name] }],
    telecom: [
      { system: 'email', value: row.email },
      { system: 'phone', value: row.phone },
    ],
    birthDate: row.birth_date,
    extension: [
      { url: 'urn:cdc:fhir:source-version', valueString: `0000000002000100/${row.id.padStart(16, '0')}` },
    ],
  };
}

async function call(url: string, init: RequestInit): Promise<void> {
  requests += 1;
  const response = await fetch(url, init);
  await response.text();
  if (!response.ok) failed += 1;
}

async function search(chunk: readonly FhirBenchRow[]): Promise<void> {
  for (let i = 0; i < chunk.length; i += SEARCH_CHUNK) {
    const ids = chunk
      .slice(i, i + SEARCH_CHUNK)
      .map((row) => token(row.id))
      .join(',');
    await call(`${base}/Patient?identifier=${ids}&_count=${2 * SEARCH_CHUNK}`, {
      headers: { accept: JSON_TYPE, 'cache-control': 'no-cache' },
    });
  }
}

const put = (row: FhirBenchRow) =>
  call(`${base}/Patient?identifier=${token(row.id)}`, {
    method: 'PUT',
    headers: { 'content-type': JSON_TYPE, accept: JSON_TYPE, prefer: 'return=minimal' },
    body: JSON.stringify(patient(row)),
  });

const bundle = (chunk: readonly FhirBenchRow[]) =>
  call(`${base}/`, {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE, accept: JSON_TYPE, prefer: 'return=minimal' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: chunk.map((row) => ({
        resource: patient(row),
        request: { method: 'PUT', url: `Patient?identifier=${token(row.id)}` },
      })),
    }),
  });

async function updates(chunk: readonly FhirBenchRow[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < chunk.length) await put(chunk[next++]!);
    }),
  );
}

const started = performance.now();
const cpuAtStart = process.cpuUsage();
const machineAtStart = machineCpu();
const chunkSize = input.mode === 'transaction' ? input.bundleEntries : 500;
try {
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    await search(chunk);
    if (input.mode === 'transaction') await bundle(chunk);
    else await updates(chunk);
  }
} catch (error) {
  process.send?.({ kind: 'failed', error: String(error) } satisfies FhirRawMessage);
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
process.send?.({
  kind: 'report',
  resources: rows.length,
  requests,
  seconds,
  failed,
  cpuUsPerResource: (cpu.user + cpu.system) / rows.length,
  machineBusy: machineBusySince(machineAtStart),
} satisfies FhirRawMessage);
process.on('message', (message: unknown) => {
  if (message === 'stop') process.exit(0);
});
