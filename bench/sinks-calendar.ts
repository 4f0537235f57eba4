// Phase (f) of `npm run bench:sinks`: the Google Calendar sink against the stack's Calendar
// emulator, at a quota and with the quota lifted against a plain @googleapis/calendar loop
// (bench/saas-phase.ts, bench/calendar-raw-worker.ts).
import { CALENDAR_REQUEST_RATE, calendarSinkSchema } from '../services/sinks/src/calendar/config.ts';
import type { EventTemplateConfig } from '../services/sinks/src/calendar/template-config.ts';
import type { CalendarAccount, CalendarRawInput } from './calendar-raw-worker.ts';
import { intFromEnv } from './common.ts';
import { control } from './emulator-control.ts';
import { saasPhase, type Principal, type SaasResult } from './saas-phase.ts';
import { NAMESPACE, stack } from './sink-bench-context.ts';

export const CALENDAR_RATE = intFromEnv('BENCH_CALENDAR_RATE', CALENDAR_REQUEST_RATE.perSecond);
// The quota's burst: the emulator's default (the API's, as it plays it) unless BENCH_CALENDAR_BURST says;
// the sink's budget is its default (below the API's, for requests bunched on their way).
export const CALENDAR_BURST = process.env.BENCH_CALENDAR_BURST
  ? intFromEnv('BENCH_CALENDAR_BURST', 1)
  : undefined;
export const CALENDAR_SINK_BURST = intFromEnv('BENCH_CALENDAR_SINK_BURST', CALENDAR_REQUEST_RATE.burst);
export const CALENDAR_QUOTA_EVENTS = intFromEnv('BENCH_CALENDAR_QUOTA_EVENTS', 300);
export const CALENDAR_EVENTS = intFromEnv('BENCH_CALENDAR_EVENTS', 2000);
export const CALENDAR_ROUNDS = intFromEnv('BENCH_CALENDAR_ROUNDS', 3);
export const CALENDAR_CONCURRENCY = intFromEnv(
  'BENCH_CALENDAR_CONCURRENCY',
  calendarSinkSchema.shape.concurrency.parse(undefined),
);

/** Patients as appointment-like events: a visit at the row's updated_at, half an hour long. */
const VISIT_TEMPLATE = {
  summary: 'Visit: {given_name} {family_name}',
  description: 'MRN {mrn}, phone {phone}',
  location: 'Facility {facility_id}',
  start: { field: 'updated_at' },
  end: { minutes: 30 },
  shared: { email: '{email}' },
  private: { mrn: '{mrn}' },
} satisfies EventTemplateConfig;

type Account = CalendarAccount & Principal;

async function account(label: string): Promise<Account> {
  const made = await control<CalendarAccount>(stack.GOOGLE_CALENDAR_URL, 'POST', 'service-accounts', {
    name: `${NAMESPACE} ${label}`,
  });
  return { ...made, principal: made.key.client_email };
}

// The root of the Google APIs, as the sink and the client take it.
const rootUrl = () => `${stack.GOOGLE_CALENDAR_URL.replace(/\/$/u, '')}/`;

export function calendarPhase(): Promise<SaasResult> {
  return saasPhase<Account>({
    phase: 'f',
    kind: 'google_calendar',
    url: stack.GOOGLE_CALENDAR_URL,
    settings: {
      rate: CALENDAR_RATE,
      burst: CALENDAR_BURST,
      sinkBurst: CALENDAR_SINK_BURST,
      quotaEvents: CALENDAR_QUOTA_EVENTS,
      events: CALENDAR_EVENTS,
      rounds: CALENDAR_ROUNDS,
      concurrency: CALENDAR_CONCURRENCY,
    },
    // Over the rate Calendar answers 403 rateLimitExceeded, or 429.
    limited: [403, 429],
    principal: account,
    entry: (target, topic, requests) => ({
      kind: 'google_calendar',
      // One name in every round: the event ids (a hash of it, the table and the key) are the same.
      name: `${NAMESPACE}-calendar`,
      topics: [topic],
      url: rootUrl(),
      credentials: JSON.stringify(target.key),
      calendar_id: target.calendar_id,
      time_zone: 'Europe/Paris',
      tables: { 'public.patients': VISIT_TEMPLATE },
      requests,
      concurrency: CALENDAR_CONCURRENCY,
    }),
    raw: {
      script: 'bench/calendar-raw-worker.ts',
      input: (sink, raw): CalendarRawInput => ({
        url: rootUrl(),
        source: sink,
        target: raw,
        concurrency: CALENDAR_CONCURRENCY,
      }),
    },
  });
}
