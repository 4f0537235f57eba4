// The figures, table rows and notes of phases (f) Google Calendar and (g) Notion of
// `npm run bench:sinks` (bench/saas-phase.ts), for bench/sinks-report.ts.
import { figure, mark, round } from './common.ts';
import type { RequestCount } from './emulator-control.ts';
import type { SaasResult } from './saas-phase.ts';
import { sinkNote } from './sink-throughput.ts';

type SaasKey =
  | 'quota_share'
  | 'quota_rate'
  | 'quota_burst'
  | 'sink_burst'
  | 'quota_refused'
  | 'concurrency'
  | 'events_per_s'
  | 'raw_events_per_s'
  | 'ratio_to_raw';

type SaasRoundFigures = Record<string, number | null>;

/** `<prefix>_quota_share`, ...: the quota share, and the round of median ratio; every round's. */
export function saasFigures<P extends string>(
  prefix: P,
  r: SaasResult | undefined,
): Record<`${P}_${SaasKey}`, number | null> & Record<`${P}_rounds`, SaasRoundFigures[]> {
  const perEvent = (count: RequestCount, events: number) => figure(count.requests / events, 3);
  const figures: Record<string, unknown> = {
    [`${prefix}_quota_share`]: figure(r?.quota.share ?? Number.NaN, 2),
    [`${prefix}_quota_rate`]: r?.settings.rate ?? null,
    [`${prefix}_quota_burst`]: r?.settings.burst ?? null,
    [`${prefix}_sink_burst`]: r?.settings.sinkBurst ?? null,
    [`${prefix}_quota_refused`]: r?.quota.log.refused ?? null,
    [`${prefix}_concurrency`]: r?.settings.concurrency ?? null,
    [`${prefix}_events_per_s`]: figure(r?.median.sink.eventsPerS ?? Number.NaN, 1),
    [`${prefix}_raw_events_per_s`]: figure(r?.median.rawEventsPerS ?? Number.NaN, 1),
    [`${prefix}_ratio_to_raw`]: figure(r?.median.ratio ?? Number.NaN, 2),
    [`${prefix}_rounds`]: (r?.rounds ?? []).map((round) => ({
      events_per_s: figure(round.sink.eventsPerS, 1),
      raw_events_per_s: figure(round.rawEventsPerS, 1),
      ratio: figure(round.ratio, 2),
      requests_per_event: perEvent(round.sinkLog, r?.settings.events ?? Number.NaN),
      raw_requests_per_event: figure(round.raw.requests / round.raw.events, 3),
      cpu_us_per_event: figure(round.sink.cpuUsPerEvent, 1),
      raw_cpu_us_per_event: figure(round.raw.cpuUsPerEvent, 1),
      machine_busy: figure(round.sink.machineBusy, 2),
      raw_machine_busy: figure(round.raw.machineBusy, 2),
    })),
  };
  return figures as Record<`${P}_${SaasKey}`, number | null> & Record<`${P}_rounds`, SaasRoundFigures[]>;
}

/** The emulator's burst, and the sink's when it is another. */
const bursts = (s: SaasResult['settings']) =>
  `burst ${s.burst}${s.sinkBurst === s.burst ? '' : `, the sink's ${s.sinkBurst}`}`;

export function saasRows(
  title: string,
  client: string,
  r: SaasResult | undefined,
  targets: { readonly quotaShare: number; readonly saasRatioToRaw: number },
): string[][] {
  const shown = (value: number, digits: number) => String(figure(value, digits) ?? 'not measured');
  const s = r?.settings;
  const quota = s
    ? `the emulator's quota of ${s.rate}/s (${bursts(s)}), ${s.quotaEvents} inserts`
    : 'a quota';
  return [
    [`${title} events/s at ${quota}`, shown(r?.quota.sink.eventsPerS ?? Number.NaN, 2), '', ''],
    [
      `${title} events/s / the quota's requests/s (the quota used, not wasted)`,
      shown(r?.quota.share ?? Number.NaN, 2),
      `>= ${targets.quotaShare}`,
      r ? mark(r.quota.share >= targets.quotaShare) : '',
    ],
    [
      `${title} events/s with the quota lifted${s ? `, ${s.events} inserts` : ''} (round of median ratio)`,
      shown(r?.median.sink.eventsPerS ?? Number.NaN, 1),
      '',
      '',
    ],
    [
      `${title} sink / plain ${client} loop making the same calls (events/s ratio)`,
      shown(r?.median.ratio ?? Number.NaN, 2),
      `>= ${targets.saasRatioToRaw}`,
      r ? mark(r.median.ratio >= targets.saasRatioToRaw) : '',
    ],
  ];
}

export function saasNotes(title: string, r: SaasResult | undefined): string[] {
  if (!r) return [`${title}: not measured`];
  const s = r.settings;
  const requests = (count: RequestCount, events: number) =>
    `${count.requests} requests (${round(count.requests / events, 3)} per event)`;
  const { log } = r.quota;
  return [
    sinkNote(`${title} at ${s.rate}/s (${bursts(s)}), ${s.quotaEvents} inserts`, r.quota.sink) +
      `; ${requests(log, s.quotaEvents)} at the emulator, ${log.refused} refused for the rate, ` +
      `at most ${log.peakPerSecond} in one second; share of the quota ${round(r.quota.share, 2)}`,
    ...r.rounds.map(
      (round_, i) =>
        sinkNote(`${title} round ${i + 1} of ${s.rounds}, quota lifted`, round_.sink) +
        `; ${requests(round_.sinkLog, s.events)}; plain SDK loop (${s.concurrency} in flight): ${round(round_.rawEventsPerS, 1)}/s, ` +
        `${round_.raw.requests} requests, ${round(round_.raw.seconds, 2)} s, ${round_.raw.failed} failed, ` +
        `${round(round_.raw.cpuUsPerEvent, 1)} µs CPU per event, machine busy ${round(round_.raw.machineBusy * 100)}%; ` +
        `ratio ${round(round_.ratio, 2)}`,
    ),
  ];
}
