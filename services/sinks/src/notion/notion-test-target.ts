import { Client } from '@notionhq/client';
import type { SinkRow } from '@cdc/core';
import { parseNotionSinkConfig, type NotionSinkInput } from './config.ts';
import { heldPageOf, type HeldPage } from './held-page.ts';
import { notionKind } from './kind.ts';
import { readValue } from './property-values.ts';
import { plainText } from './rich-text.ts';

/**
 * For the int tests: the Notion emulator's control API (services/emulators, /_emulator/...), and
 * the conformance table `patients(id, name, email, notes, visits)` as pages of a database of its
 * own, written by a sink with an integration of its own. A second integration plays the person
 * who edits pages in Notion (and reads them back for the tests, outside the sink's budget).
 */
export interface Integration {
  readonly token: string;
  readonly bot_id: string;
  readonly root_page_id: string;
}

export interface LoggedRequest {
  readonly at_ms: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export function emulatorControl(url: string) {
  const base = url.replace(/\/$/u, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_emulator/${path} answered ${response.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    integration: (name: string) => call<Integration>('POST', 'integrations', { name }),
    /** The integration's request rate; null lifts it. */
    rate: (token: string, perSecond: number | null, burst?: number) =>
      call('PUT', 'rate', {
        principal: token,
        per_second: perSecond,
        ...(burst === undefined ? {} : { burst }),
      }),
    fault: (token: string, fault: Record<string, unknown>) =>
      call('POST', 'faults', { principal: token, ...fault }),
    requests: async (token: string) =>
      (await call<{ requests: LoggedRequest[] }>('GET', `requests?principal=${encodeURIComponent(token)}`))
        .requests,
  };
}

/** The conformance table's properties in Notion: the key, the sync property and one per column. */
const PATIENT_SCHEMA = {
  ID: { rich_text: {} },
  Name: { title: {} },
  Email: { email: {} },
  Notes: { rich_text: {} },
  Visits: { number: {} },
  'CDC sync': { rich_text: {} },
};

const PATIENT_PROPERTIES = {
  Name: { field: 'name', type: 'title' },
  Email: { field: 'email', type: 'email' },
  Notes: { field: 'notes', type: 'rich_text' },
  Visits: { field: 'visits', type: 'number' },
} as const;

export interface PatientTargetOptions {
  /** The sink integration's rate at the emulator, and the sink's budget's (default 50/s, burst 50: quick tests). */
  readonly rate?: { readonly perSecond: number; readonly burst: number };
}

export async function patientTarget(
  url: string,
  overrides: Partial<NotionSinkInput> = {},
  options: PatientTargetOptions = {},
) {
  const control = emulatorControl(url);
  const [integration, person] = await Promise.all([
    control.integration('cdc sink'),
    control.integration('a person'),
  ]);
  const rate = options.rate ?? { perSecond: 50, burst: 50 };
  await Promise.all([
    control.rate(integration.token, rate.perSecond, rate.burst),
    control.rate(person.token, null),
  ]);
  const notion = new Client({ auth: person.token, baseUrl: url.replace(/\/$/u, '') });
  const database = (await notion.databases.create({
    parent: { type: 'page_id', page_id: integration.root_page_id },
    title: [{ type: 'text', text: { content: 'patients' } }],
    initial_data_source: { properties: PATIENT_SCHEMA },
  })) as { data_sources?: { id: string }[] };
  const dataSourceId = database.data_sources?.[0]?.id;
  if (dataSourceId === undefined) throw new Error('the new database has no data source');
  const entry = parseNotionSinkConfig({
    kind: 'notion',
    name: 'notion-test',
    topics: ['cdc.public.patients'],
    url,
    token: integration.token,
    tables: {
      'public.patients': {
        data_source_id: dataSourceId,
        key_property: 'ID',
        key: '{id}',
        properties: PATIENT_PROPERTIES,
      },
    },
    // A burst a little under the integration's: requests reach Notion a few ms after they left the budget.
    requests: { per_second: rate.perSecond, burst: Math.max(1, rate.burst - 2) },
    ...overrides,
  });
  const sink = notionKind.create(entry, { url, urlSetting: 'sinks[0].url', path: 'sinks[0]' });

  /** The live pages holding the key, as the person sees them. */
  const live = async (id: bigint): Promise<HeldPage[]> => {
    const answer = await notion.dataSources.query({
      data_source_id: dataSourceId,
      filter: { property: 'ID', rich_text: { equals: String(id) } },
    });
    return answer.results.flatMap((result) => heldPageOf(result) ?? []);
  };

  /** Every page with the key, trashed ones too: the query shows no trash, so the ids the sink wrote are retrieved. */
  const all = async (id: bigint): Promise<HeldPage[]> => {
    const ids = new Set(
      (await control.requests(integration.token)).flatMap((request) => {
        const match = /^\/v1\/pages\/([0-9a-f-]{32,36})$/u.exec(request.path.split('?')[0] ?? '');
        return match ? [match[1] as string] : [];
      }),
    );
    for (const page of await live(id)) ids.add(page.id);
    const pages = await Promise.all(
      [...ids].map(async (pageId) => heldPageOf(await notion.pages.retrieve({ page_id: pageId }))),
    );
    return pages.filter((page): page is HeldPage => page !== undefined && keyOf(page) === String(id));
  };

  return {
    sink,
    /** Another sink of the same entry, started: the sink after a restart, its cache empty. */
    restarted: async () => {
      const again = notionKind.create(entry, { url, urlSetting: 'sinks[0].url', path: 'sinks[0]' });
      await again.start();
      return again;
    },
    integration,
    person,
    dataSourceId,
    control,
    live,
    all,
    /** The row a live page stands for; null when there is none (a deleted row's page is in the trash). */
    read: async (id: bigint): Promise<SinkRow | null> => {
      const found = await live(id);
      if (found.length > 1) throw new Error(`${found.length} pages have ID ${id}`);
      const page = found[0];
      if (!page) return null;
      return {
        id: BigInt(keyOf(page)),
        name: readValue('title', page.properties.Name),
        email: readValue('email', page.properties.Email),
        notes: readValue('rich_text', page.properties.Notes),
        visits: readValue('number', page.properties.Visits),
      };
    },
    exists: async (id: bigint) => (await all(id)).length > 0,
    /** The person edits the page in Notion (name, email, notes, visits; other fields are not properties here). */
    editDirectly: async (id: bigint, changes: SinkRow): Promise<void> => {
      const [page] = await live(id);
      if (!page) throw new Error(`no page has ID ${id}`);
      const text = (value: unknown) =>
        typeof value === 'string' && value !== '' ? [{ text: { content: value } }] : [];
      const properties: Record<string, unknown> = {};
      if ('name' in changes) properties.Name = { title: text(changes.name) };
      if ('email' in changes) properties.Email = { email: changes.email ?? null };
      if ('notes' in changes) properties.Notes = { rich_text: text(changes.notes) };
      if ('visits' in changes)
        properties.Visits = { number: changes.visits === null ? null : Number(changes.visits) };
      await notion.pages.update({ page_id: page.id, properties } as Parameters<Client['pages']['update']>[0]);
    },
    close: () => sink.close(),
  };
}

function keyOf(page: HeldPage): string {
  return plainText((page.properties.ID as { rich_text?: unknown } | undefined)?.rich_text);
}
