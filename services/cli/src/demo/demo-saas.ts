import { Client } from '@notionhq/client';
import type { StackEnv } from '@cdc/core';
import type { PipelineConfig } from '@cdc/pipeline';

/**
 * The demo's places in the SaaS emulators of the local stack (services/emulators): a Notion
 * integration with a database per mapped table, and a Google Calendar service account with its
 * calendar. connectors/health-care.yaml names them by placeholders, since real ids come from a
 * person's workspace; here each demo run makes fresh ones and fills them in, and puts the secrets
 * where the entries read them (`token: { env }`, `credentials: { env }`).
 */

type Entry = Record<string, unknown>;

interface NotionTable {
  data_source_id?: string;
  key_property: string;
  sync_property?: string;
  properties: Record<string, { type: string; table?: string }>;
}

/** The entries with their Notion data sources and calendar made; env variables set for their secrets. */
export async function provisionSaasSinks(entries: readonly Entry[], env: StackEnv): Promise<Entry[]> {
  const provisioned: Entry[] = [];
  for (const entry of entries) {
    if (entry.kind === 'notion') provisioned.push(await notionEntry(entry, env.NOTION_URL));
    else if (entry.kind === 'google_calendar')
      provisioned.push(await calendarEntry(entry, env.GOOGLE_CALENDAR_URL));
    else provisioned.push(entry);
  }
  return provisioned;
}

const DEMO_NOTION_RATE = 30;

async function control<T>(url: string, path: string, body: unknown, method = 'POST'): Promise<T> {
  const response = await fetch(`${url}/_emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(
      `the emulator at ${url} answered ${response.status} to ${path}: ${await response.text()}`,
    );
  }
  return (await response.json()) as T;
}

function secretEnv(entry: Entry, setting: string): string {
  const secret = entry[setting] as { env?: string } | undefined;
  if (typeof secret?.env !== 'string') {
    throw new Error(
      `demo sink ${String(entry.name)}: ${setting} must be { env: NAME } for the demo to fill it in`,
    );
  }
  return secret.env;
}

async function notionEntry(entry: Entry, url: string): Promise<Entry> {
  const integration = await control<{ token: string; root_page_id: string }>(url, 'integrations', {
    name: String(entry.name),
  });
  process.env[secretEnv(entry, 'token')] = integration.token;
  // Notion's 3 requests/s would make the demo wait minutes: its own integration may do more.
  await control(
    url,
    'rate',
    { principal: integration.token, per_second: DEMO_NOTION_RATE, burst: DEMO_NOTION_RATE },
    'PUT',
  );
  const notion = new Client({ auth: integration.token, baseUrl: url });
  const tables = structuredClone(entry.tables) as Record<string, NotionTable>;
  // A relation names the data source it points to: those pointed to are made first.
  const order = Object.keys(tables).sort(
    (a, b) => Number(relatesTo(tables[a]!, b)) - Number(relatesTo(tables[b]!, a)),
  );
  for (const table of order) {
    const mapping = tables[table]!;
    const properties: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(mapping.properties)) {
      properties[name] =
        property.type === 'relation'
          ? {
              relation: {
                data_source_id: tables[property.table ?? '']?.data_source_id,
                single_property: {},
              },
            }
          : { [property.type]: {} };
    }
    const hasTitle = Object.values(mapping.properties).some((property) => property.type === 'title');
    properties[mapping.key_property] = hasTitle ? { rich_text: {} } : { title: {} };
    properties[mapping.sync_property ?? 'CDC sync'] = { rich_text: {} };
    const database = (await notion.databases.create({
      parent: { type: 'page_id', page_id: integration.root_page_id },
      title: [{ type: 'text', text: { content: `${table} (${String(entry.name)})` } }],
      initial_data_source: { properties: properties as never },
    })) as { data_sources?: { id: string }[] };
    const id = database.data_sources?.[0]?.id;
    if (!id) throw new Error(`the Notion emulator made no data source for ${table}`);
    mapping.data_source_id = id;
  }
  // A little under the emulator's rate: requests arrive a few ms after they leave our budget.
  return { ...entry, url, tables, requests: { per_second: DEMO_NOTION_RATE, burst: DEMO_NOTION_RATE - 2 } };
}

function relatesTo(mapping: NotionTable, table: string): boolean {
  return Object.values(mapping.properties).some(
    (property) => property.type === 'relation' && property.table === table,
  );
}

async function calendarEntry(entry: Entry, url: string): Promise<Entry> {
  const account = await control<{ key: unknown; calendar_id: string }>(url, 'service-accounts', {
    name: String(entry.name),
  });
  process.env[secretEnv(entry, 'credentials')] = JSON.stringify(account.key);
  return { ...entry, url, calendar_id: account.calendar_id };
}

/** Where the SaaS sinks of the demo wrote, for its final report. */
export function saasPlaces(config: PipelineConfig): string[] {
  return config.sinks.flatMap((sink) => {
    if (sink.kind === 'google_calendar') {
      return [
        `${sink.name}: events of calendar ${sink.calendar_id} at ${sink.url ?? config.google_calendar.url} (the emulator; ` +
          `GET calendar/v3/calendars/<id>/events with a token of the account in $GOOGLE_CALENDAR_KEY)`,
      ];
    }
    if (sink.kind === 'notion') {
      return Object.entries(sink.tables).map(
        ([table, mapping]) =>
          `${sink.name}: ${table} as pages of data source ${mapping.data_source_id} at ${sink.url ?? config.notion.url} (the emulator)`,
      );
    }
    return [];
  });
}
