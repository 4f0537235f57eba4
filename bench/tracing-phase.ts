// The tracing phase of `npm run bench:source` and `npm run bench:processors`: one workload run by
// the benchmark's worker process untraced (no OTEL_* variable, so startTelemetry loads no SDK),
// traced with the services' default sampling (OTEL_TRACES_EXPORTER=zipkin, no OTEL_TRACES_SAMPLER:
// DEFAULT_SAMPLER of services/core/src/telemetry/telemetry-env.ts) and, for information, traced
// with always_on. The modes take turns within each round, in an order rotated from round to round,
// so that the machine's drift (other work on the shared cores) weighs on each mode alike; the cost
// is the median over rounds of each round's 1 - traced / untraced events/s.
import { DEFAULT_SAMPLER } from '@cdc/core';
import { intFromEnv, mark, round } from './common.ts';

export const TRACING_TARGET = 0.1;

export type TracingMode = 'untraced' | 'default' | 'always_on';

/** The sampling of each mode, as the tables name it. */
export const SAMPLING: Readonly<Record<TracingMode, string>> = {
  untraced: 'none (no SDK)',
  default: `${DEFAULT_SAMPLER.name} ${DEFAULT_SAMPLER.ratio} (the default)`,
  always_on: 'always_on',
};

export const TRACING_ROUNDS = intFromEnv('BENCH_TRACING_ROUNDS', 3);
// BENCH_TRACING_ALWAYS_ON=0 leaves out the always_on run (one run, in the first round).
export const TRACING_ALWAYS_ON = process.env.BENCH_TRACING_ALWAYS_ON !== '0';

/**
 * The Zipkin the traced workers export to: the stack's, or BENCH_ZIPKIN_URL. The stack's keeps
 * spans in a 256 MB heap (services/stack/src/components/zipkin.ts), about 5 KB each once stored
 * with their resource's tags: a full run of both benchmarks sends more than it holds.
 */
export function zipkinUrl(stack: { readonly ZIPKIN_URL: string }): string {
  return (process.env.BENCH_ZIPKIN_URL ?? stack.ZIPKIN_URL).replace(/\/+$/u, '');
}

// BENCH_TRACING_ENV='OTEL_BSP_MAX_QUEUE_SIZE=8192 OTEL_NODE_RESOURCE_DETECTORS=env' adds variables
// to the traced workers, for experiments: the figures are then printed, not recorded.
export const TRACING_EXPERIMENT_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  (process.env.BENCH_TRACING_ENV ?? '')
    .split(' ')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
export const TRACING_EXPERIMENT = Object.keys(TRACING_EXPERIMENT_ENV).length > 0;

/**
 * The worker's environment for a mode: the parent's without any OTEL_* variable (so that a
 * variable set for something else cannot change what is measured), plus the export to Zipkin.
 */
export function tracingEnv(mode: TracingMode, zipkinUrl: string, env = process.env): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('OTEL_')));
  if (mode === 'untraced') return clean;
  return {
    ...clean,
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl.replace(/\/+$/u, '')}/api/v2/spans`,
    ...(mode === 'always_on' ? { OTEL_TRACES_SAMPLER: 'always_on' } : {}),
    ...TRACING_EXPERIMENT_ENV,
  };
}

/** What one run of the workload measured. */
export interface TracingSample {
  readonly eventsPerS: number;
  /** CPU time (user + system) of the worker per event, in µs: less sensitive to other load. */
  readonly cpuUsPerEvent: number;
  readonly events: number;
}

export interface TracingRun extends TracingSample {
  readonly mode: TracingMode;
  readonly round: number;
  /**
   * Spans Zipkin's HTTP collector received from the start of the run to the worker's exit (its
   * SDK flushes on shutdown); other clients of the same Zipkin count too, so this is approximate.
   */
  readonly spansReceived: number;
}

export interface TracingResult {
  /** Where the traced workers exported. */
  readonly zipkinUrl: string;
  readonly modes: readonly TracingMode[];
  readonly runs: readonly TracingRun[];
  /** Median over rounds of 1 - default / untraced events/s: the figure judged. */
  readonly costShare: number;
  /** The same for always_on; NaN when not run. */
  readonly alwaysOnCostShare: number;
  /** Median over rounds of 1 - untraced / default CPU per event (the same cost, by CPU time). */
  readonly cpuCostShare: number;
  readonly alwaysOnCpuCostShare: number;
  /** Median events/s of each mode (NaN for a mode not run). */
  readonly eventsPerS: Readonly<Record<TracingMode, number>>;
}

/** The modes in round `index`'s order: rotated, so that each mode takes each position in turn. */
export function roundOrder(modes: readonly TracingMode[], index: number): TracingMode[] {
  const shift = index % modes.length;
  return [...modes.slice(shift), ...modes.slice(0, shift)];
}

/** The middle value, or the mean of the two middle ones; NaN for none. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Spans received so far by Zipkin's HTTP collector (its /prometheus counter); NaN if unreadable. */
export async function zipkinSpansReceived(zipkinUrl: string): Promise<number> {
  try {
    const response = await fetch(`${zipkinUrl.replace(/\/+$/u, '')}/prometheus`);
    if (!response.ok) return Number.NaN;
    const match = /^zipkin_collector_spans_total\{transport="http",?\}\s+(\S+)$/mu.exec(
      await response.text(),
    );
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface TracingPhaseOptions {
  /** Names the workload in the progress lines. */
  readonly label: string;
  readonly zipkinUrl: string;
  readonly rounds?: number;
  /** Whether to add the always_on run (TRACING_ALWAYS_ON by default). */
  readonly alwaysOn?: boolean;
  /** One run of the workload with its worker started with `env`. */
  readonly measure: (mode: TracingMode, round: number, env: NodeJS.ProcessEnv) => Promise<TracingSample>;
  readonly log: (line: string) => void;
}

export async function runTracingPhase(options: TracingPhaseOptions): Promise<TracingResult> {
  const alwaysOn = options.alwaysOn ?? TRACING_ALWAYS_ON;
  const modes: TracingMode[] = ['untraced', 'default', ...(alwaysOn ? ['always_on' as const] : [])];
  if (!Number.isFinite(await zipkinSpansReceived(options.zipkinUrl)))
    throw new Error(
      `Zipkin does not answer at ${options.zipkinUrl} (its /prometheus): traced runs would export nowhere`,
    );
  const runs: TracingRun[] = [];
  for (let index = 0; index < (options.rounds ?? TRACING_ROUNDS); index++) {
    // always_on is for information only: one run, in the first round, compared with its untraced run.
    const order = [
      ...roundOrder(['untraced', 'default'], index),
      ...(alwaysOn && index === 0 ? ['always_on' as const] : []),
    ];
    for (const mode of order) {
      const before = await zipkinSpansReceived(options.zipkinUrl);
      const sample = await options.measure(mode, index + 1, tracingEnv(mode, options.zipkinUrl));
      const spansReceived = mode === 'untraced' ? 0 : (await zipkinSpansReceived(options.zipkinUrl)) - before;
      runs.push({ ...sample, mode, round: index + 1, spansReceived });
      options.log(`${options.label} round ${index + 1}, ${mode}: ${describeRun(runs.at(-1)!)}`);
    }
  }
  return summarise(options.zipkinUrl, modes, runs);
}

export function summarise(
  zipkinUrl: string,
  modes: readonly TracingMode[],
  runs: readonly TracingRun[],
): TracingResult {
  const byRound = new Map<number, Map<TracingMode, TracingRun>>();
  for (const run of runs) {
    const round = byRound.get(run.round) ?? new Map<TracingMode, TracingRun>();
    byRound.set(run.round, round.set(run.mode, run));
  }
  const share = (mode: TracingMode, of: (traced: TracingRun, untraced: TracingRun) => number) => {
    const values = [...byRound.values()].flatMap((round) => {
      const [traced, untraced] = [round.get(mode), round.get('untraced')];
      return traced && untraced ? [of(traced, untraced)] : [];
    });
    return median(values);
  };
  const bySpeed = (t: TracingRun, u: TracingRun) => 1 - t.eventsPerS / u.eventsPerS;
  const byCpu = (t: TracingRun, u: TracingRun) => 1 - u.cpuUsPerEvent / t.cpuUsPerEvent;
  const speed = (mode: TracingMode) => median(runs.filter((r) => r.mode === mode).map((r) => r.eventsPerS));
  return {
    zipkinUrl,
    modes,
    runs,
    costShare: share('default', bySpeed),
    alwaysOnCostShare: share('always_on', bySpeed),
    cpuCostShare: share('default', byCpu),
    alwaysOnCpuCostShare: share('always_on', byCpu),
    eventsPerS: { untraced: speed('untraced'), default: speed('default'), always_on: speed('always_on') },
  };
}

export function describeRun(run: TracingRun): string {
  // The spans the SDK sampled: about the ratio's share of the events (all with always_on); fewer
  // received means its batch processor dropped some (its queue holds 2048).
  const sampled =
    run.mode === 'always_on'
      ? `of ${run.events}`
      : `of about ${round(run.events * DEFAULT_SAMPLER.ratio)} sampled`;
  const spans = run.mode === 'untraced' ? '' : `, ${run.spansReceived} spans received by Zipkin (${sampled})`;
  return `${round(run.eventsPerS)} events/s, ${round(run.cpuUsPerEvent, 1)} µs CPU/event${spans}`;
}

/** met / NOT met for the default sampling's cost. */
export const costMet = (result: TracingResult) => mark(result.costShare <= TRACING_TARGET);

/** met / NOT met for the default sampling's cost, with the figure. */
export function costStatus(result: TracingResult): string {
  return `${mark(result.costShare <= TRACING_TARGET)} (cost ${round(result.costShare, 3)})`;
}

/** The phase's figures for a results JSON file. */
export function tracingJson(result: TracingResult) {
  const figure = (value: number, digits: number) => (Number.isFinite(value) ? round(value, digits) : null);
  return {
    exporter: 'zipkin',
    zipkin_url: result.zipkinUrl,
    sampling: SAMPLING.default,
    rounds: Math.max(0, ...result.runs.map((r) => r.round)),
    target: TRACING_TARGET,
    untraced_events_per_s: figure(result.eventsPerS.untraced, 0),
    traced_events_per_s: figure(result.eventsPerS.default, 0),
    cpu_cost_share: figure(result.cpuCostShare, 3),
    always_on_cost_share: figure(result.alwaysOnCostShare, 3),
    always_on_cpu_cost_share: figure(result.alwaysOnCpuCostShare, 3),
    always_on_events_per_s: figure(result.eventsPerS.always_on, 0),
    runs: result.runs.map((r) => ({
      round: r.round,
      mode: r.mode,
      events_per_s: round(r.eventsPerS),
      cpu_us_per_event: figure(r.cpuUsPerEvent, 1),
      events: r.events,
      spans_received: r.mode === 'untraced' ? null : figure(r.spansReceived, 0),
    })),
  };
}

/** One note per round, for the BENCHMARKS.md section. */
export function tracingNotes(label: string, result: TracingResult): string[] {
  const rounds = Math.max(0, ...result.runs.map((r) => r.round));
  const alwaysOn = result.modes.includes('always_on')
    ? `; always_on (for information): cost ${round(result.alwaysOnCostShare, 3)} by events/s, ${round(result.alwaysOnCpuCostShare, 3)} by CPU per event`
    : '';
  return [
    `tracing, ${label}: the worker started with OTEL_TRACES_EXPORTER=zipkin (${result.zipkinUrl}, sampling ${SAMPLING.default}) against untraced, ${rounds} rounds in alternating order; cost ${round(result.costShare, 3)} by events/s (median of the rounds), ${round(result.cpuCostShare, 3)} by CPU per event${alwaysOn}`,
    ...Array.from({ length: rounds }, (_, i) => {
      const runs = result.runs.filter((r) => r.round === i + 1);
      return `tracing round ${i + 1}: ${runs.map((r) => `${r.mode} ${describeRun(r)}`).join('; ')}`;
    }),
  ];
}

/** The BENCHMARKS.md bullet on the tracing phase, of bench/source-report.ts and bench/processors-report.ts. */
export function tracingDescription(workload: readonly string[]): string {
  return `- **tracing cost share**: ${workload.join('\n  ')}
  The worker runs it untraced (no \`OTEL_*\` variable: no SDK), and with
  \`OTEL_TRACES_EXPORTER=zipkin\`, \`OTEL_EXPORTER_ZIPKIN_ENDPOINT=$ZIPKIN_URL/api/v2/spans\` and no
  \`OTEL_TRACES_SAMPLER\` (the default sampling, \`${DEFAULT_SAMPLER.name}\` ${DEFAULT_SAMPLER.ratio}), calling
  \`startTelemetry\` as the CLI does. \`BENCH_TRACING_ROUNDS\` (3) rounds of an untraced and a
  traced run, their order swapped each round; the cost is the median over rounds of 1 - traced /
  untraced events/s (\`tracing_cost_share\` in the JSON), also given by CPU time per event. One
  more run in the first round, with \`OTEL_TRACES_SAMPLER=always_on\`, is for information. The
  spans Zipkin's collector received during each traced run are listed. \`BENCH_ZIPKIN_URL\` names
  another Zipkin than the stack's, whose 256 MB heap holds only about 30000 of these spans.`;
}
