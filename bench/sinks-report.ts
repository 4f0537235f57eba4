// What `npm run bench:sinks` (bench/sinks.ts) makes of its measurements: the figures of
// bench/results/sinks.json, the table and the notes of its BENCHMARKS.md section.
import { figure, machine, mark, round } from './common.ts';
import type { SaasResult } from './saas-phase.ts';
import { PARTITIONS } from './sink-bench-context.ts';
import type { Produced } from './sink-events.ts';
import { sinkNote, type ThroughputResult } from './sink-throughput.ts';
import { saasFigures, saasNotes, saasRows } from './sinks-saas-report.ts';
import {
  FHIR_BUNDLE_ENTRIES,
  FHIR_CONCURRENCY,
  FHIR_EVENTS,
  FHIR_ROUNDS,
  type FhirResult,
} from './sinks-fhir.ts';
import { RATE, STEADY_WARMUP_SECONDS, STEADY_WRITERS, type SteadyResult } from './sinks-steady.ts';
import { WEBHOOK_CONCURRENCY, WEBHOOK_EVENTS, WEBHOOK_ROUNDS, type WebhookResult } from './sinks-webhook.ts';

export const TARGETS = {
  redisEventsPerS: 50_000,
  mongoEventsPerS: 20_000,
  p99Ms: 500,
  webhookRatioToRaw: 0.7,
  fhirRatioToRaw: 0.7,
  quotaShare: 0.9,
  saasRatioToRaw: 0.7,
};

/** What a run measured, phase by phase (undefined or NOT_MEASURED: the phase did not run). */
export interface SinksMeasured {
  readonly date: string;
  readonly command: string;
  readonly settings: {
    readonly events: number;
    readonly keys: number;
    readonly mongoRows: number;
    readonly mongoUpdates: number;
  };
  readonly produced: Produced | undefined;
  readonly a: ThroughputResult;
  readonly rowsInRedis: number;
  /** Why MongoDB was not measured; undefined when it was. */
  readonly mongoMissing: string | undefined;
  readonly loaded: Produced | undefined;
  readonly load: ThroughputResult;
  readonly updates: ThroughputResult;
  readonly c: SteadyResult;
  readonly webhook: WebhookResult | undefined;
  readonly fhir: FhirResult | undefined;
  readonly calendar: SaasResult | undefined;
  readonly notion: SaasResult | undefined;
}

export function sinksReport(m: SinksMeasured) {
  const { a, load, updates, c, webhook, fhir, produced, loaded, calendar, notion } = m;
  const { events, keys, mongoRows, mongoUpdates } = m.settings;
  const results = {
    redis_events_per_s: figure(a.eventsPerS),
    // (b1): the initial load; (b2) below: updates, which FerretDB makes far slower.
    mongo_events_per_s: figure(load.eventsPerS),
    mongo_update_events_per_s: figure(updates.eventsPerS, 1),
    mongo_ms_per_update: figure((updates.seconds * 1000) / updates.written, 1),
    e2e_p50_ms_at_5k: figure(c.p50Ms, 1),
    e2e_p99_ms_at_5k: figure(c.p99Ms, 1),
    // The rate the latency was measured at: below RATE the writers could not keep up.
    e2e_commits_per_s_achieved: figure(c.achievedRate),
    e2e_max_ms: figure(c.maxMs),
    // The round of median ratio (bench/sinks-webhook.ts); every round's below.
    webhook_events_per_s: figure(webhook?.median.sink.eventsPerS ?? Number.NaN),
    webhook_raw_events_per_s: figure(webhook?.median.rawEventsPerS ?? Number.NaN),
    webhook_ratio_to_raw: figure(webhook?.median.ratio ?? Number.NaN, 2),
    webhook_rounds: (webhook?.rounds ?? []).map((r) => ({
      events_per_s: figure(r.sink.eventsPerS),
      raw_events_per_s: figure(r.rawEventsPerS),
      ratio: figure(r.ratio, 2),
      cpu_us_per_event: figure(r.sink.cpuUsPerEvent, 1),
      raw_cpu_us_per_request: figure(r.rawCpuUsPerRequest, 1),
      machine_busy: figure(r.sink.machineBusy, 2),
      raw_machine_busy: figure(r.rawMachineBusy, 2),
    })),
    // Per write mode, the round of median ratio (bench/sinks-fhir.ts); every round's below.
    fhir_resources_per_s: figure(fhir?.update.median.sink.eventsPerS ?? Number.NaN, 1),
    fhir_raw_resources_per_s: figure(fhir?.update.median.rawResourcesPerS ?? Number.NaN, 1),
    fhir_ratio_to_raw: figure(fhir?.update.median.ratio ?? Number.NaN, 2),
    fhir_bundle_resources_per_s: figure(fhir?.transaction.median.sink.eventsPerS ?? Number.NaN, 1),
    fhir_bundle_raw_resources_per_s: figure(fhir?.transaction.median.rawResourcesPerS ?? Number.NaN, 1),
    fhir_bundle_ratio_to_raw: figure(fhir?.transaction.median.ratio ?? Number.NaN, 2),
    fhir_rounds: fhir
      ? [...fhir.update.rounds, ...fhir.transaction.rounds].map((r) => ({
          mode: r.mode,
          resources_per_s: figure(r.sink.eventsPerS, 1),
          raw_resources_per_s: figure(r.rawResourcesPerS, 1),
          ratio: figure(r.ratio, 2),
          cpu_us_per_resource: figure(r.sink.cpuUsPerEvent, 1),
          raw_cpu_us_per_resource: figure(r.rawCpuUsPerResource, 1),
          machine_busy: figure(r.sink.machineBusy, 2),
          raw_machine_busy: figure(r.rawMachineBusy, 2),
        }))
      : [],
    // At the emulator's quota, then with it lifted against a plain SDK loop (bench/saas-phase.ts).
    ...saasFigures('calendar', calendar),
    ...saasFigures('notion', notion),
    redis_cpu_us_per_event: figure(a.cpuUsPerEvent, 1),
    mongo_cpu_us_per_event: figure(load.cpuUsPerEvent, 1),
    targets: {
      redis_events_per_s: TARGETS.redisEventsPerS,
      mongo_events_per_s: TARGETS.mongoEventsPerS,
      e2e_p99_ms_at_5k: TARGETS.p99Ms,
      webhook_ratio_to_raw: TARGETS.webhookRatioToRaw,
      fhir_ratio_to_raw: TARGETS.fhirRatioToRaw,
      calendar_quota_share: TARGETS.quotaShare,
      calendar_ratio_to_raw: TARGETS.saasRatioToRaw,
      notion_quota_share: TARGETS.quotaShare,
      notion_ratio_to_raw: TARGETS.saasRatioToRaw,
    },
    machine: machine(),
    date: m.date,
    command: m.command,
    events,
    keys,
    mongo_rows: mongoRows,
    mongo_updates: mongoUpdates,
    webhook_events: WEBHOOK_EVENTS,
    webhook_concurrency: WEBHOOK_CONCURRENCY,
    fhir_events: FHIR_EVENTS,
    fhir_concurrency: FHIR_CONCURRENCY,
    fhir_bundle_entries: FHIR_BUNDLE_ENTRIES,
  };
  const steadyShort =
    c.achievedRate < 0.95 * RATE ? ` (writers reached only ${round(c.achievedRate)}/s)` : '';
  const rows: string[][] = [
    [
      `events/s into Redis, ${events} events`,
      String(results.redis_events_per_s ?? 'not measured'),
      `>= ${TARGETS.redisEventsPerS}`,
      Number.isFinite(a.eventsPerS) ? mark(a.eventsPerS >= TARGETS.redisEventsPerS) : '',
    ],
    [
      `events/s into FerretDB (MongoDB wire), initial load of ${mongoRows} rows`,
      String(results.mongo_events_per_s ?? 'not measured'),
      `>= ${TARGETS.mongoEventsPerS}`,
      Number.isFinite(load.eventsPerS) ? mark(load.eventsPerS >= TARGETS.mongoEventsPerS) : '',
    ],
    [
      `events/s into FerretDB, ${mongoUpdates} updates of rows among ${mongoRows}`,
      String(results.mongo_update_events_per_s ?? 'not measured'),
      `>= ${TARGETS.mongoEventsPerS}`,
      Number.isFinite(updates.eventsPerS) ? mark(updates.eventsPerS >= TARGETS.mongoEventsPerS) : '',
    ],
    [
      `webhook events/s into a local receiver, ${WEBHOOK_EVENTS} events, one per request (round of median ratio)`,
      String(results.webhook_events_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'webhook sink / plain HTTP client posting the same requests (events/s ratio)',
      String(results.webhook_ratio_to_raw ?? 'not measured'),
      `>= ${TARGETS.webhookRatioToRaw}`,
      webhook ? mark(webhook.median.ratio >= TARGETS.webhookRatioToRaw) : '',
    ],
    [
      `FHIR resources/s into HAPI FHIR by conditional update, ${FHIR_EVENTS} patients (round of median ratio)`,
      String(results.fhir_resources_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'FHIR sink / plain fetch loop making the same requests, conditional updates (resources/s ratio)',
      String(results.fhir_ratio_to_raw ?? 'not measured'),
      `>= ${TARGETS.fhirRatioToRaw}`,
      fhir ? mark(fhir.update.median.ratio >= TARGETS.fhirRatioToRaw) : '',
    ],
    [
      `FHIR resources/s by transaction Bundles of ${FHIR_BUNDLE_ENTRIES} (round of median ratio)`,
      String(results.fhir_bundle_resources_per_s ?? 'not measured'),
      '',
      '',
    ],
    [
      'FHIR sink / plain fetch loop making the same requests, transaction Bundles (resources/s ratio)',
      String(results.fhir_bundle_ratio_to_raw ?? 'not measured'),
      '',
      '',
    ],
    ...saasRows('Google Calendar', '@googleapis/calendar', calendar, TARGETS),
    ...saasRows('Notion', '@notionhq/client', notion, TARGETS),
    [`p50 PostgreSQL-to-Redis ms at ${RATE}/s${steadyShort}`, String(results.e2e_p50_ms_at_5k), '', ''],
    [
      `p99 PostgreSQL-to-Redis ms at ${RATE}/s${steadyShort}`,
      String(results.e2e_p99_ms_at_5k),
      `< ${TARGETS.p99Ms}`,
      // A latency at a lower rate than offered says little about the target: not counted as met.
      steadyShort === '' ? mark(c.p99Ms < TARGETS.p99Ms) : 'not comparable',
    ],
  ];
  const notes = [
    produced
      ? `input: ${produced.records} records (${produced.inserts} inserts, ${produced.updates} updates of ${produced.keys} rows) in ${PARTITIONS} partitions`
      : 'input: not produced',
    sinkNote('Redis', a) + `; ${m.rowsInRedis} rows in Redis afterwards`,
    ...(m.mongoMissing === undefined
      ? [
          sinkNote(`MongoDB load (${loaded?.inserts ?? 0} inserts)`, load),
          // Too few events for CPU per event or batch counts to mean anything: the time per update.
          `MongoDB updates: ${updates.written} written, ${updates.stale} stale, ${updates.failed} failed, ` +
            `${round(updates.seconds, 2)} s: ${results.mongo_ms_per_update} ms per update`,
        ]
      : [`MongoDB: ${m.mongoMissing}`]),
    ...(webhook
      ? webhook.rounds.map(
          (r, i) =>
            sinkNote(`webhook round ${i + 1} of ${WEBHOOK_ROUNDS}`, r.sink) +
            `; ${webhook.requests} requests; plain client: ${round(r.rawEventsPerS)}/s, ${round(r.rawSeconds, 2)} s, ` +
            `${r.rawFailed} failed, ${round(r.rawCpuUsPerRequest, 1)} µs CPU per request, main thread busy ` +
            `${round(r.rawMainThreadBusy * 100)}%, machine busy ${round(r.rawMachineBusy * 100)}%; ratio ${round(r.ratio, 2)}`,
        )
      : ['webhook: not measured']),
    ...(fhir
      ? [...fhir.update.rounds, ...fhir.transaction.rounds].map(
          (r, i) =>
            sinkNote(`FHIR ${r.mode} round ${(i % FHIR_ROUNDS) + 1} of ${FHIR_ROUNDS}`, r.sink) +
            `; plain fetch loop: ${round(r.rawResourcesPerS, 1)}/s, ${r.rawRequests} requests, ${round(r.rawSeconds, 2)} s, ` +
            `${r.rawFailed} failed, ${round(r.rawCpuUsPerResource, 1)} µs CPU per resource, machine busy ` +
            `${round(r.rawMachineBusy * 100)}%; ratio ${round(r.ratio, 2)}`,
        )
      : ['FHIR: not measured']),
    ...saasNotes('Google Calendar', calendar),
    ...saasNotes('Notion', notion),
    `steady load: ${c.events} events at ${round(c.achievedRate)} commits/s offered (${STEADY_WRITERS} connections, synchronous_commit=on); max latency ${round(c.maxMs)} ms`,
    `steady load warm-up (first ${STEADY_WARMUP_SECONDS} s, not counted, source and sink just started): max latency ${round(c.warmupMaxMs)} ms`,
  ];
  return { results, rows, notes };
}
