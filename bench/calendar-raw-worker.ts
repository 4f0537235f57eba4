// Child process of bench/sinks-calendar.ts (phase f of bench:sinks): the ceiling of the Google
// Calendar sink. A plain loop of Google's own client (@googleapis/calendar, google-auth-library's
// JWT for the service account) makes the calls the sink made in the round: one events.insert per
// row, with the sink's ids and bodies, as many at once as the sink's concurrency, into a calendar
// of its own. The bodies are the sink's: read back from the calendar the sink wrote (before the
// clock starts), without what Calendar sets itself.
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import { machineBusySince, machineCpu } from './common.ts';
import type { RawMessage } from './saas-phase.ts';

/** A service account of the emulator: its key JSON and the calendar to use. */
export interface CalendarAccount {
  readonly key: {
    readonly client_email: string;
    readonly private_key: string;
    readonly private_key_id?: string;
    readonly token_uri: string;
  };
  readonly calendar_id: string;
}

export interface CalendarRawInput {
  /** The root of the Google APIs (the emulator), ending in `/`. */
  readonly url: string;
  /** The account and calendar the sink wrote in the round: the bodies are read from there. */
  readonly source: CalendarAccount;
  /** The account and calendar the loop inserts into. */
  readonly target: CalendarAccount;
  readonly concurrency: number;
}

const SCOPE = 'https://www.googleapis.com/auth/calendar';
// google-auth-library asks Google's endpoint whatever a key says; the sink (calendar-client.ts)
// sends the token request to the key's token_uri instead, and so does this loop.
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** What Calendar sets on an event, not part of what the sink sends. */
const SERVER_OWNED = [
  'kind',
  'etag',
  'htmlLink',
  'created',
  'updated',
  'creator',
  'organizer',
  'iCalUID',
  'sequence',
  'hangoutLink',
  'privateCopy',
  'locked',
] as const;

const input = JSON.parse(process.argv[2] ?? '{}') as CalendarRawInput;

function clientOf(account: CalendarAccount): { api: calendar_v3.Calendar; auth: JWT } {
  const { key } = account;
  const auth = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id === undefined ? {} : { keyId: key.private_key_id }),
    scopes: [SCOPE],
    additionalClaims: { aud: key.token_uri },
  });
  auth.transporter.interceptors.request.add({
    resolved: async (config) =>
      String(config.url) === GOOGLE_TOKEN_URI ? { ...config, url: new URL(key.token_uri) } : config,
  });
  // Node's fetch, as the sink's client uses (gaxios would take node-fetch): the same HTTP stack.
  const api = calendar({ version: 'v3', rootUrl: input.url, auth, retry: false, fetchImplementation: fetch });
  return { api, auth };
}

/** The events the sink wrote, as it sent them: Calendar's own fields (and defaults) left out. */
async function sinkBodies(): Promise<calendar_v3.Schema$Event[]> {
  const { api } = clientOf(input.source);
  const bodies: calendar_v3.Schema$Event[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await api.events.list({
      calendarId: input.source.calendar_id,
      maxResults: 250,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    for (const held of data.items ?? []) {
      const body: Record<string, unknown> = { ...held };
      for (const field of SERVER_OWNED) delete body[field];
      if (body.eventType === 'default') delete body.eventType;
      if ((held.reminders as { useDefault?: boolean } | undefined)?.useDefault === true)
        delete body.reminders;
      bodies.push(body);
    }
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  return bodies;
}

try {
  const bodies = await sinkBodies();
  const { api, auth } = clientOf(input.target);
  // The sink fetches its token at start, before its first write: so does the loop.
  await auth.authorize();
  let [requests, failed, next] = [0, 0, 0];
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const machineAtStart = machineCpu();
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < bodies.length) {
        const requestBody = bodies[next++] as calendar_v3.Schema$Event;
        requests += 1;
        await api.events.insert({ calendarId: input.target.calendar_id, requestBody }).catch(() => {
          failed += 1;
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  process.send?.({
    kind: 'report',
    events: bodies.length,
    requests,
    seconds,
    failed,
    cpuUsPerEvent: (cpu.user + cpu.system) / bodies.length,
    machineBusy: machineBusySince(machineAtStart),
  } satisfies RawMessage);
} catch (error) {
  process.send?.({ kind: 'failed', error: String(error) } satisfies RawMessage);
  process.exit(1);
}
process.on('message', (message: unknown) => {
  if (message === 'stop') process.exit(0);
});
