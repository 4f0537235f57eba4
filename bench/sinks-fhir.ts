// Phase (e) of `npm run bench:sinks`: the FHIR sink against a plain `fetch` loop making the same
// requests to the same HAPI FHIR server, by conditional updates and by transaction Bundles.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONCURRENCY } from '../services/sinks/src/http/http-settings.ts';
import { Child } from './bench-child.ts';
import { intFromEnv, medianRound } from './common.ts';
import type { FhirBenchRow, FhirRawInput, FhirRawMessage } from './fhir-raw-worker.ts';
import { NAMESPACE, WORKER_FLAGS, run, stack } from './sink-bench-context.ts';
import { produceEvents } from './sink-events.ts';
import { throughput, type ThroughputResult } from './sink-throughput.ts';

export const FHIR_EVENTS = intFromEnv('BENCH_FHIR_EVENTS', 3000);
export const FHIR_ROUNDS = intFromEnv('BENCH_FHIR_ROUNDS', 3);
export const FHIR_CONCURRENCY = intFromEnv('BENCH_FHIR_CONCURRENCY', DEFAULT_CONCURRENCY);
export const FHIR_BUNDLE_ENTRIES = intFromEnv('BENCH_FHIR_BUNDLE_ENTRIES', 100);

export type FhirMode = FhirRawInput['mode'];

export interface FhirRound {
  readonly mode: FhirMode;
  readonly sink: ThroughputResult;
  readonly rawResourcesPerS: number;
  readonly rawSeconds: number;
  readonly rawRequests: number;
  readonly rawFailed: number;
  readonly rawCpuUsPerResource: number;
  readonly rawMachineBusy: number;
  readonly ratio: number;
}

export interface FhirModeResult {
  readonly rounds: readonly FhirRound[];
  /** The round whose ratio is the median: its figures are the ones reported. */
  readonly median: FhirRound;
}

export type FhirResult = Readonly<Record<FhirMode, FhirModeResult>>;

/**
 * Patients (inserts of distinct rows) through the FHIR sink into the stack's HAPI server, then the
 * plain client's requests for the same rows: rounds of both, per write mode, each half under an
 * identifier system of its own so that both create as many resources on a server holding as
 * many. The round of median ratio is reported, as for the webhook (bench/sinks-webhook.ts).
 */
export async function fhirPhase(): Promise<FhirResult> {
  const topic = `${NAMESPACE}.${run}.fhir.public.patients`;
  const produced = await produceEvents(topic, { events: FHIR_EVENTS, idOf: (n) => n + 1 });
  const rows: FhirBenchRow[] = [...produced.rows.values()].map((row) => ({
    id: String(row.id),
    given_name: row.given_name as string,
    family_name: row.family_name as string,
    email: row.email as string,
    phone: row.phone as string,
    birth_date: new Date(Number(row.birth_date) * 86_400_000).toISOString().slice(0, 10),
  }));
  const file = join(tmpdir(), `bench-fhir-${run}.json`);
  writeFileSync(file, JSON.stringify(rows));
  try {
    const result: Partial<Record<FhirMode, FhirModeResult>> = {};
    for (const mode of ['update', 'transaction'] as const) {
      const rounds: FhirRound[] = [];
      for (let round = 1; round <= FHIR_ROUNDS; round++) {
        const label = `e-${mode}-${round}`;
        const sink = await throughput(
          label,
          'fhir',
          topic,
          FHIR_EVENTS,
          fhirEntry(topic, `urn:bench:${run}:${label}:sink`, mode),
        );
        const raw = await plainClient(`(${label}) plain fetch client`, {
          url: stack.FHIR_URL,
          system: `urn:bench:${run}:${label}:raw`,
          rows: file,
          mode,
          concurrency: FHIR_CONCURRENCY,
          bundleEntries: FHIR_BUNDLE_ENTRIES,
        });
        rounds.push({
          mode,
          sink,
          rawResourcesPerS: raw.resources / raw.seconds,
          rawSeconds: raw.seconds,
          rawRequests: raw.requests,
          rawFailed: raw.failed,
          rawCpuUsPerResource: raw.cpuUsPerResource,
          rawMachineBusy: raw.machineBusy,
          ratio: sink.eventsPerS / (raw.resources / raw.seconds),
        });
      }
      result[mode] = { rounds, median: medianRound(rounds) };
    }
    return result as FhirResult;
  } finally {
    rmSync(file, { force: true });
  }
}

/** The bench's sink: patients as Patients, the mapping fhir-raw-worker.ts writes out by hand. */
function fhirEntry(topic: string, system: string, mode: FhirMode) {
  return {
    kind: 'fhir',
    name: `${NAMESPACE}-fhir`,
    topics: [topic],
    url: stack.FHIR_URL,
    write: mode,
    transaction: { max_entries: FHIR_BUNDLE_ENTRIES },
    concurrency: FHIR_CONCURRENCY,
    resources: {
      'public.patients': {
        type: 'Patient',
        identifier: { system, value: '{id}' },
        resource: {
          name: [{ family: '{family_name}', given: ['{given_name}'] }],
          telecom: [
            { system: 'email', value: '{email}' },
            { system: 'phone', value: '{phone}' },
          ],
          birthDate: '{birth_date|date}',
        },
      },
    },
  };
}

async function plainClient(label: string, input: FhirRawInput) {
  const raw = new Child<FhirRawMessage>(label, 'bench/fhir-raw-worker.ts', input, WORKER_FLAGS);
  try {
    await raw.until((message) => message.kind === 'report');
  } finally {
    await raw.stop();
  }
  const report = raw.latest('report');
  if (!report) throw new Error(`${label} reported nothing`);
  return report;
}
