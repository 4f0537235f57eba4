// Child process of bench/sinks-notion.ts (phase g of bench:sinks): the ceiling of the Notion sink.
// A plain loop of Notion's own client (@notionhq/client) makes the calls the sink made in the
// round, into a data source of its own: per chunk of rows (the size of the sink's
// batches), one dataSources.query per hundred keys with an `or` of key filters (as the sink reads
// what Notion holds), then one pages.create per row, as many at once as the sink's concurrency.
// The properties are the sink's: read back from the data source the sink wrote (before the clock
// starts), as write payloads. The client goes over the sink's HTTP client (undici's `request` on a
// pool of `concurrency` kept-alive connections, services/sinks/src/http/http-target.ts) rather
// than its default fetch, as the Calendar loop runs Google's client over the sink's fetch: both
// halves of a round pay the same for an exchange (fetch costs about twice the CPU, BENCHMARKS.md).
import { Client } from '@notionhq/client';
import { Agent } from 'undici';
import { machineBusySince, machineCpu } from './common.ts';
import type { RawMessage } from './saas-phase.ts';

export interface NotionRawInput {
  readonly url: string;
  /** The integration and data source the sink wrote in the round: the properties are read there. */
  readonly source: { readonly token: string; readonly dataSourceId: string };
  /** The integration and data source the loop writes. */
  readonly target: { readonly token: string; readonly dataSourceId: string };
  /** The rich_text property holding the row key. */
  readonly keyProperty: string;
  readonly concurrency: number;
  /** Rows per chunk: the sink's rows per batch. */
  readonly chunk: number;
}

type Properties = Record<string, unknown>;
type CreateParameters = Parameters<Client['pages']['create']>[0];
type QueryParameters = Parameters<Client['dataSources']['query']>[0];
type SupportedFetch = NonNullable<NonNullable<ConstructorParameters<typeof Client>[0]>['fetch']>;

const KEYS_PER_QUERY = 100; // Notion's most filters in an `or` (the sink's, notion-api.ts)
const input = JSON.parse(process.argv[2] ?? '{}') as NotionRawInput;
const pool = new Agent({ keepAliveTimeout: 30_000, connections: input.concurrency });

const viaPool: SupportedFetch = async (url, init) => {
  const { origin, pathname, search } = new URL(url);
  const answer = await pool.request({
    origin,
    path: `${pathname}${search}`,
    method: init?.method ?? 'GET',
    headers: init?.headers ?? {},
    ...(typeof init?.body === 'string' ? { body: init.body } : {}),
  });
  const text = await answer.body.text();
  const ok = answer.statusCode >= 200 && answer.statusCode < 300;
  return { ok, status: answer.statusCode, headers: answer.headers, text: async () => text };
};

const clientOf = (token: string) =>
  new Client({ auth: token, baseUrl: input.url.replace(/\/$/u, ''), fetch: viaPool, retry: false });

/** A property value as Notion returns it, as the payload that writes it. */
function payloadOf(value: { type?: string } & Record<string, unknown>): unknown {
  const type = value.type as string;
  const inner = value[type];
  if (type === 'title' || type === 'rich_text') {
    const items = inner as { plain_text?: string; text?: { content?: string } }[];
    return {
      [type]: items.map((item) => ({
        type: 'text',
        text: { content: item.text?.content ?? item.plain_text ?? '' },
      })),
    };
  }
  if (type === 'date' && inner !== null && typeof inner === 'object') {
    const set = Object.entries(inner as Record<string, unknown>).filter(([, part]) => part !== null);
    return { date: Object.fromEntries(set) };
  }
  return { [type]: inner };
}

/** The sink's pages: key and properties, as it sent them. */
async function sinkPages(): Promise<{ key: string; properties: Properties }[]> {
  const notion = clientOf(input.source.token);
  const pages: { key: string; properties: Properties }[] = [];
  let cursor: string | undefined;
  do {
    const answer = await notion.dataSources.query({
      data_source_id: input.source.dataSourceId,
      page_size: 100,
      ...(cursor === undefined ? {} : { start_cursor: cursor }),
    });
    for (const result of answer.results) {
      const held = (result as { properties?: Record<string, { type?: string } & Record<string, unknown>> })
        .properties;
      if (!held) continue;
      const properties = Object.fromEntries(
        Object.entries(held).map(([name, value]) => [name, payloadOf(value)]),
      );
      const keyItems = (held[input.keyProperty]?.rich_text ?? []) as { plain_text?: string }[];
      pages.push({ key: keyItems.map((item) => item.plain_text ?? '').join(''), properties });
    }
    cursor = answer.has_more && answer.next_cursor ? answer.next_cursor : undefined;
  } while (cursor !== undefined);
  return pages;
}

try {
  const pages = await sinkPages();
  const notion = clientOf(input.target.token);
  const dataSourceId = input.target.dataSourceId;
  let [requests, failed] = [0, 0];
  const call = async (request: () => Promise<unknown>) => {
    requests += 1;
    await request().catch(() => {
      failed += 1;
    });
  };
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const machineAtStart = machineCpu();
  for (let at = 0; at < pages.length; at += input.chunk) {
    const chunk = pages.slice(at, at + input.chunk);
    for (let i = 0; i < chunk.length; i += KEYS_PER_QUERY) {
      const filters = chunk
        .slice(i, i + KEYS_PER_QUERY)
        .map(({ key }) => ({ property: input.keyProperty, rich_text: { equals: key } }));
      const filter = (filters.length === 1 ? filters[0] : { or: filters }) as QueryParameters['filter'];
      await call(() => notion.dataSources.query({ data_source_id: dataSourceId, filter, page_size: 100 }));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: input.concurrency }, async () => {
        while (next < chunk.length) {
          const { properties } = chunk[next++] as { properties: Properties };
          const parameters = {
            parent: { data_source_id: dataSourceId },
            properties,
          } as unknown as CreateParameters;
          await call(() => notion.pages.create(parameters));
        }
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  process.send?.({
    kind: 'report',
    events: pages.length,
    requests,
    seconds,
    failed,
    cpuUsPerEvent: (cpu.user + cpu.system) / pages.length,
    machineBusy: machineBusySince(machineAtStart),
  } satisfies RawMessage);
} catch (error) {
  process.send?.({ kind: 'failed', error: String(error) } satisfies RawMessage);
  process.exit(1);
}
process.on('message', (message: unknown) => {
  if (message === 'stop') process.exit(0);
});
