// What phases (f) Google Calendar and (g) Notion of `npm run bench:sinks` share: a sink of a
// rate-limited SaaS API against the stack's emulator of it, measured twice. (1) Quota share: the
// emulator limits a fresh principal to a rate and the sink's budget is set to the same; events/s
// over that rate says whether the sink uses its quota or wastes it, and the emulator's request
// log whether it ever went over. (2) With the quota lifted on both sides, the sink against a
// plain SDK loop making the same calls in a child process of its own (the raw worker), in
// rounds, the round of median ratio reported, as phase (e) does.
import { Child } from './bench-child.ts';
import { medianRound } from './common.ts';
import { countRequests, defaultBurst, requestLog, setRate, type RequestCount } from './emulator-control.ts';
import { NAMESPACE, WORKER_FLAGS, log, run } from './sink-bench-context.ts';
import { produceEvents } from './sink-events.ts';
import { throughput, type ThroughputResult } from './sink-throughput.ts';

/** What a raw worker (bench/calendar-raw-worker.ts, bench/notion-raw-worker.ts) reports. */
export type RawMessage =
  | {
      readonly kind: 'report';
      readonly events: number;
      readonly requests: number;
      readonly seconds: number;
      readonly failed: number;
      readonly cpuUsPerEvent: number;
      readonly machineBusy: number;
    }
  | { readonly kind: 'failed'; readonly error: string };

export type RawReport = Extract<RawMessage, { kind: 'report' }>;

export interface SaasSettings {
  /** The quota of the first run: requests per second, at the emulator and in the sink's budget. */
  readonly rate: number;
  /** The emulator's burst at that rate. */
  readonly burst: number;
  /** The sink's `requests.burst`. */
  readonly sinkBurst: number;
  readonly quotaEvents: number;
  readonly events: number;
  readonly rounds: number;
  /** The sink's `concurrency`, and the raw loop's requests in flight. */
  readonly concurrency: number;
}

export interface QuotaRun {
  readonly sink: ThroughputResult;
  /** Events/s over the configured rate. */
  readonly share: number;
  readonly log: RequestCount;
}

export interface SaasRound {
  readonly sink: ThroughputResult;
  readonly sinkLog: RequestCount;
  readonly raw: RawReport;
  readonly rawEventsPerS: number;
  readonly ratio: number;
}

export interface SaasResult {
  readonly settings: SaasSettings;
  readonly quota: QuotaRun;
  readonly rounds: readonly SaasRound[];
  /** The round whose ratio is the median: its figures are the ones reported. */
  readonly median: SaasRound;
}

/** A principal of the emulator (a service account, an integration) with a target of its own. */
export interface Principal {
  /** The emulator's name for it: rate limits and the request log are by this. */
  readonly principal: string;
}

export interface SaasSpec<P extends Principal> {
  /** The phase's letter, in labels and topic names. */
  readonly phase: string;
  /** The sink kind, as `kind:` of its entry. */
  readonly kind: string;
  /** The emulator's URL. */
  readonly url: string;
  /** `burst` undefined: the emulator's own default burst (GET /_emulator/rate). */
  readonly settings: Omit<SaasSettings, 'burst'> & { readonly burst: number | undefined };
  /** Statuses that refuse a request for the rate (Calendar 403 and 429, Notion 429). */
  readonly limited: readonly number[];
  /** A fresh principal with a target (a calendar, a data source) of its own, unlimited until told. */
  readonly principal: (label: string) => Promise<P>;
  /** The sink's entry writing the topic to the principal's target, with this request budget. */
  readonly entry: (target: P, topic: string, requests: { per_second: number; burst: number }) => unknown;
  /** The raw loop: its script, and its input to repeat the calls the sink made to `sink` into `raw`. */
  readonly raw: {
    readonly script: string;
    readonly input: (sink: P, raw: P, sinkRun: ThroughputResult) => unknown;
  };
}

// Budgets lifted: far above what one process can send, so that the sink never waits for it.
const UNLIMITED = { per_second: 1_000_000, burst: 10_000 };

export async function saasPhase<P extends Principal>(spec: SaasSpec<P>): Promise<SaasResult> {
  const { phase, kind, url } = spec;
  const topicOf = (what: string) => `${NAMESPACE}.${run}.${kind}-${what}.public.patients`;

  const quotaTopic = topicOf('quota');
  await produceEvents(quotaTopic, { events: spec.settings.quotaEvents, idOf: (n) => n + 1 });
  const limited = await spec.principal(`${phase}-quota`);
  const settings = {
    ...spec.settings,
    burst: spec.settings.burst ?? (await defaultBurst(url, limited.principal)),
  };
  await setRate(url, limited.principal, settings.rate, settings.burst);
  const quotaEntry = spec.entry(limited, quotaTopic, {
    per_second: settings.rate,
    burst: settings.sinkBurst,
  });
  const quotaRun = await sinkRun(`${phase}-quota`, kind, quotaTopic, settings.quotaEvents, quotaEntry);
  const quotaLog = countRequests(await requestLog(url, limited.principal), spec.limited);
  const quota = { sink: quotaRun, share: quotaRun.eventsPerS / settings.rate, log: quotaLog };
  log(
    `(${phase}) ${kind} at ${settings.rate}/s: ${Math.round(quotaRun.eventsPerS * 100) / 100} events/s, ` +
      `${quotaLog.requests} requests, ${quotaLog.refused} refused for the rate`,
  );

  const topic = topicOf('lifted');
  await produceEvents(topic, { events: settings.events, idOf: (n) => n + 1 });
  const rounds: SaasRound[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const label = `${phase}${round}`;
    const [sinkTarget, rawTarget] = await Promise.all([
      spec.principal(`${label}-sink`),
      spec.principal(`${label}-raw`),
    ]);
    await Promise.all([setRate(url, sinkTarget.principal, null), setRate(url, rawTarget.principal, null)]);
    const sink = await sinkRun(label, kind, topic, settings.events, spec.entry(sinkTarget, topic, UNLIMITED));
    // Read before the raw loop reads the sink's target: the sink's requests alone.
    const sinkLog = countRequests(await requestLog(url, sinkTarget.principal), spec.limited);
    const raw = await rawClient(
      `(${label}) plain SDK loop`,
      spec.raw.script,
      spec.raw.input(sinkTarget, rawTarget, sink),
    );
    if (raw.events !== settings.events)
      throw new Error(
        `(${label}) the plain loop found ${raw.events} of the sink's ${settings.events} writes to repeat`,
      );
    const rawEventsPerS = raw.events / raw.seconds;
    rounds.push({ sink, sinkLog, raw, rawEventsPerS, ratio: sink.eventsPerS / rawEventsPerS });
  }
  return { settings, quota, rounds, median: medianRound(rounds) };
}

function sinkRun(label: string, kind: string, topic: string, expected: number, entry: unknown) {
  return throughput(label, kind, topic, expected, entry as Record<string, unknown>);
}

async function rawClient(label: string, script: string, input: unknown): Promise<RawReport> {
  const raw = new Child<RawMessage>(label, script, input, WORKER_FLAGS);
  try {
    await raw.until((message) => message.kind === 'report');
  } finally {
    await raw.stop();
  }
  const report = raw.latest('report');
  if (!report) throw new Error(`${label} reported nothing`);
  return report;
}
