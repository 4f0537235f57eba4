// The figures of `npm run bench:processors`: printed, and unless the run was partial, written to
// bench/results/processors.json and the processors section of BENCHMARKS.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeliveryMode } from '@cdc/processor';
import { machine, markdownTable, round, writeRunSection } from './common.ts';
import { FACILITIES, type Generated } from './patient-events.ts';
import {
  costStatus,
  SAMPLING,
  TRACING_TARGET,
  tracingDescription,
  tracingJson,
  tracingNotes,
  type TracingResult,
} from './tracing-phase.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => process.stderr.write(`${line}\n`);

export const TARGET_EVENTS_PER_S = 50_000;

export type ProcessorRole = 'validator' | 'transformer' | 'pass-through';

export interface RunResult {
  readonly processor: ProcessorRole;
  readonly delivery: DeliveryMode;
  readonly eventsPerS: number;
  readonly seconds: number;
  readonly consumed: number;
  readonly forwarded: number;
  readonly deadLettered: number;
  readonly batches: number;
  readonly retries: number;
  readonly peakRssMb: number;
  /** CPU microseconds of the processor process per record. */
  readonly cpuUsPerEvent: number;
}

export interface Production {
  /** Records/s of the benchmark's producer into the input topic. */
  readonly perS: number;
  /** Events the validator accepts. */
  readonly valid: number;
  readonly generated: Generated;
  readonly transformerInput: number;
}

export interface ProcessorsRun {
  readonly results: readonly RunResult[];
  readonly production: Production;
  /** The tracing phase of each processor measured (at_least_once). */
  readonly tracing: Partial<Record<'validator' | 'transformer', TracingResult>>;
  readonly partitions: number;
  readonly command: string;
  readonly date: string;
}

// The pass-through run is the runtime's ceiling on this machine, not a processor: not judged.
const targetOf = (r: RunResult) => (r.processor === 'pass-through' ? '' : `>= ${TARGET_EVENTS_PER_S}`);
const statusOf = (r: RunResult) =>
  r.processor === 'pass-through' ? 'ceiling' : r.eventsPerS >= TARGET_EVENTS_PER_S ? 'met' : 'NOT met';

/** Prints the run's figures; `record`: also writes them (a partial run is only printed). */
export function reportProcessors(run: ProcessorsRun, record: boolean): void {
  const { results, production, tracing } = run;
  const find = (processor: ProcessorRole, delivery: DeliveryMode) =>
    results.find((r) => r.processor === processor && r.delivery === delivery);
  const figure = (processor: ProcessorRole, delivery: DeliveryMode) =>
    round(find(processor, delivery)?.eventsPerS ?? Number.NaN);
  const eosShare = (processor: ProcessorRole) =>
    figure(processor, 'exactly_once') / figure(processor, 'at_least_once');

  console.table(
    results.map((r) => ({
      processor: r.processor,
      delivery: r.delivery,
      'events/s': round(r.eventsPerS),
      target: targetOf(r),
      status: statusOf(r),
      consumed: r.consumed,
      forwarded: r.forwarded,
      'dead letters': r.deadLettered,
      batches: r.batches,
      seconds: round(r.seconds, 2),
      'CPU µs/event': round(r.cpuUsPerEvent, 1),
      'peak RSS MB': round(r.peakRssMb, 1),
    })),
  );
  const cost = (processor: ProcessorRole) => {
    const share = eosShare(processor);
    const verdict = 1 - share < 1 / 3 ? 'less than a third' : 'a third or more';
    return `${processor}: exactly_once runs at ${round(share * 100)}% of at_least_once (costs ${round((1 - share) * 100)}%, ${verdict})`;
  };
  const { generated } = production;
  const traced = Object.entries(tracing) as ['validator' | 'transformer', TracingResult][];
  const notes = [
    `input: ${generated.records} records (${generated.inserts} inserts, ${generated.updates} updates, ${generated.deletes} deletes each followed by its tombstone; ${generated.events.length - production.valid} events the validator refuses), produced at ${round(production.perS)} records/s into ${run.partitions} partitions`,
    `transformer input: the ${production.transformerInput} records the validator accepts, in their own ${run.partitions}-partition topic`,
    `enrichment: ${FACILITIES} facility:<id> Redis hashes (the step's cache holds them after the first batch)`,
    cost('validator'),
    cost('transformer'),
    ...traced.flatMap(([processor, result]) => tracingNotes(`${processor} at_least_once`, result)),
  ];
  for (const note of notes) console.log(`  ${note}`);
  if (!record) return;

  // The figure judged: the largest cost among the processors measured.
  const worst = Math.max(...traced.map(([, result]) => result.costShare));
  const json = {
    validator_events_per_s: figure('validator', 'at_least_once'),
    transformer_events_per_s: figure('transformer', 'at_least_once'),
    validator_eos_events_per_s: figure('validator', 'exactly_once'),
    transformer_eos_events_per_s: figure('transformer', 'exactly_once'),
    pass_through_events_per_s: figure('pass-through', 'at_least_once'),
    pass_through_eos_events_per_s: figure('pass-through', 'exactly_once'),
    target_events_per_s: TARGET_EVENTS_PER_S,
    eos_share_of_at_least_once: {
      validator: round(eosShare('validator'), 3),
      transformer: round(eosShare('transformer'), 3),
    },
    // 1 - traced / untraced events/s at the default sampling, the larger of the two processors'.
    tracing_cost_share: traced.length > 0 ? round(worst, 3) : null,
    tracing: Object.fromEntries(traced.map(([processor, result]) => [processor, tracingJson(result)])),
    runs: results.map((r) => ({
      ...r,
      eventsPerS: round(r.eventsPerS),
      seconds: round(r.seconds, 3),
      peakRssMb: round(r.peakRssMb, 1),
      cpuUsPerEvent: round(r.cpuUsPerEvent, 1),
    })),
    machine: machine(),
    date: run.date,
    command: run.command,
    events: generated.records,
    partitions: run.partitions,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/processors.json'), `${JSON.stringify(json, null, 2)}\n`);
  const rows = results.map((r) => [
    r.processor,
    r.delivery,
    String(round(r.eventsPerS)),
    targetOf(r),
    statusOf(r),
    String(r.deadLettered),
    String(r.batches),
    String(round(r.seconds, 2)),
  ]);
  // One row per traced processor: its median traced events/s, judged by the cost against untraced.
  const tracingRows = traced.map(([processor, result]) => [
    `${processor} traced (Zipkin, ${SAMPLING.default})`,
    'at_least_once',
    String(round(result.eventsPerS.default)),
    `tracing cost <= ${TRACING_TARGET}`,
    costStatus(result),
    '',
    '',
    '',
  ]);
  writeRunSection(join(root, 'BENCHMARKS.md'), {
    marker: 'processors',
    description: DESCRIPTION,
    title: `Run with ${json.events} records`,
    ...json,
    table: markdownTable(
      ['processor', 'delivery', 'events/s', 'target', 'status', 'dead letters', 'batches', 'seconds'],
      [...rows, ...tracingRows],
    ),
    notes,
  });
  log('wrote bench/results/processors.json and BENCHMARKS.md');
}

const DESCRIPTION = `## processors: \`npm run bench:processors\`

One instance of each patients processor of the demo pipeline (\`connectors/health-care.yaml\`:
\`validate-patients\`, \`transform-patients\` with its phone, e-mail, case and time-zone
normalisation, salted hash, computed field and Redis enrichment), alone in a child process
(\`bench/processor-worker.ts\`, \`runProcessor\` as \`cdc processor run\` calls it), on topics
\`bench.processors.*\` of 3 partitions, with a fresh consumer group and output topic per run.

- **input**: \`BENCH_EVENTS\` records encoded as the PostgreSQL source encodes them (its key and
  envelope schemas for the patients table of \`connectors/health-care.sql\`): inserts and updates
  of realistic rows (names in mixed case, French and foreign phone numbers as people write them),
  about 5% rows the validator refuses, and a few deletes with their tombstones. The transformer
  reads the records the validator accepts, produced into a topic of their own.
- **events/s**: records consumed / time from the first batch handed to the processor to the
  commit of the last record's outputs and offset (at_least_once: offsets committed after the
  outputs are acknowledged; exactly_once: outputs and offsets in one transaction per batch).
- **pass-through**: the validator's runtime on the same input with a handler that forwards each
  record's bytes untouched (no decoding, no rules): what consuming, producing, committing and the
  per-event spans cost alone, the ceiling of any processor on this machine. Not judged.
${tracingDescription([
  'each processor at_least_once, a fresh consumer group and output topic per run, on its',
  'input produced again with the headers the source writes: the version, and a `traceparent`',
  'sampled (flags 01) on 10% of the changes, as by a source traced at the default ratio, which',
  'the processors follow (the records of the runs above have no headers at all).',
])}

Target (issue): >= 50000 events/s per instance. Exactly-once is the pipeline's default delivery
only if it costs less than a third of the at-least-once throughput. Tracing at the default
sampling costs at most 0.1 of the untraced events/s (\`tracing_cost_share\`, the larger of the
validator's and the transformer's).
The latest figures are also in \`bench/results/processors.json\`.`;
