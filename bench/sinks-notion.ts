// Phase (g) of `npm run bench:sinks`: the Notion sink against the stack's Notion emulator, at a
// quota and with the quota lifted against a plain @notionhq/client loop (bench/saas-phase.ts,
// bench/notion-raw-worker.ts).
import { Client } from '@notionhq/client';
import { NOTION_REQUEST_RATE, notionSinkSchema } from '../services/sinks/src/notion/config.ts';
import { intFromEnv } from './common.ts';
import { control } from './emulator-control.ts';
import type { NotionRawInput } from './notion-raw-worker.ts';
import { saasPhase, type Principal, type SaasResult } from './saas-phase.ts';
import { NAMESPACE, stack } from './sink-bench-context.ts';

export const NOTION_RATE = intFromEnv('BENCH_NOTION_RATE', 10);
// The quota's burst: the emulator's default (the API's, as it plays it) unless BENCH_NOTION_BURST says;
// the sink's budget is its default (below the API's, for requests bunched on their way).
export const NOTION_BURST = process.env.BENCH_NOTION_BURST ? intFromEnv('BENCH_NOTION_BURST', 1) : undefined;
export const NOTION_SINK_BURST = intFromEnv('BENCH_NOTION_SINK_BURST', NOTION_REQUEST_RATE.burst);
export const NOTION_QUOTA_EVENTS = intFromEnv('BENCH_NOTION_QUOTA_EVENTS', 300);
export const NOTION_EVENTS = intFromEnv('BENCH_NOTION_EVENTS', 2000);
export const NOTION_ROUNDS = intFromEnv('BENCH_NOTION_ROUNDS', 3);
export const NOTION_CONCURRENCY = intFromEnv(
  'BENCH_NOTION_CONCURRENCY',
  notionSinkSchema.shape.concurrency.parse(undefined),
);

const KEY_PROPERTY = 'ID';
const SYNC_PROPERTY = 'CDC sync';

/** The data source's properties: the key, the sink's bookkeeping and one per mapped column. */
const SCHEMA = {
  [KEY_PROPERTY]: { rich_text: {} },
  [SYNC_PROPERTY]: { rich_text: {} },
  Name: { title: {} },
  MRN: { rich_text: {} },
  Email: { email: {} },
  Phone: { phone_number: {} },
  Born: { date: {} },
  Facility: { number: {} },
};

/** Patients as pages, each mapped property one column (the name two, by a template). */
const PROPERTIES = {
  Name: { type: 'title', template: '{given_name} {family_name}' },
  MRN: { type: 'rich_text', field: 'mrn' },
  Email: { type: 'email', field: 'email' },
  Phone: { type: 'phone_number', field: 'phone' },
  Born: { type: 'date', field: 'birth_date', date_only: true },
  Facility: { type: 'number', field: 'facility_id' },
};

interface Integration extends Principal {
  readonly token: string;
  readonly dataSourceId: string;
}

/** A fresh integration, and a database of its own under its root page, made with the SDK. */
async function integration(label: string): Promise<Integration> {
  const made = await control<{ token: string; root_page_id: string }>(
    stack.NOTION_URL,
    'POST',
    'integrations',
    {
      name: `${NAMESPACE} ${label}`,
    },
  );
  const notion = new Client({ auth: made.token, baseUrl: stack.NOTION_URL.replace(/\/$/u, '') });
  const database = (await notion.databases.create({
    parent: { type: 'page_id', page_id: made.root_page_id },
    title: [{ type: 'text', text: { content: `${NAMESPACE} patients ${label}` } }],
    initial_data_source: { properties: SCHEMA },
  })) as { data_sources?: { id: string }[] };
  const dataSourceId = database.data_sources?.[0]?.id;
  if (dataSourceId === undefined) throw new Error(`the database of ${label} has no data source`);
  return { principal: made.token, token: made.token, dataSourceId };
}

export function notionPhase(): Promise<SaasResult> {
  return saasPhase<Integration>({
    phase: 'g',
    kind: 'notion',
    url: stack.NOTION_URL,
    settings: {
      rate: NOTION_RATE,
      burst: NOTION_BURST,
      sinkBurst: NOTION_SINK_BURST,
      quotaEvents: NOTION_QUOTA_EVENTS,
      events: NOTION_EVENTS,
      rounds: NOTION_ROUNDS,
      concurrency: NOTION_CONCURRENCY,
    },
    limited: [429],
    principal: integration,
    entry: (target, topic, requests) => ({
      kind: 'notion',
      name: `${NAMESPACE}-notion`,
      topics: [topic],
      url: stack.NOTION_URL,
      token: target.token,
      tables: {
        'public.patients': {
          data_source_id: target.dataSourceId,
          key_property: KEY_PROPERTY,
          key: '{id}',
          sync_property: SYNC_PROPERTY,
          properties: PROPERTIES,
        },
      },
      requests,
      concurrency: NOTION_CONCURRENCY,
    }),
    raw: {
      script: 'bench/notion-raw-worker.ts',
      input: (sink, raw, sinkRun): NotionRawInput => ({
        url: stack.NOTION_URL,
        source: { token: sink.token, dataSourceId: sink.dataSourceId },
        target: { token: raw.token, dataSourceId: raw.dataSourceId },
        keyProperty: KEY_PROPERTY,
        concurrency: NOTION_CONCURRENCY,
        // The sink reads and writes a batch at a time: the loop's chunks are its batches' size.
        chunk: Math.max(1, Math.ceil(sinkRun.written / Math.max(1, sinkRun.batches))),
      }),
    },
  });
}
