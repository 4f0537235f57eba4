/**
 * Helpers for the Notion emulator's tests: an in-process emulator on port 0, integrations made through
 * the control API, and the official SDK pointed at it.
 */
import { APIResponseError, Client, LogLevel } from '@notionhq/client';
import type { RunningEmulator } from '../control/index.ts';
import { startNotionEmulator, type NotionEmulatorOptions } from './index.ts';

export interface Integration {
  readonly token: string;
  readonly bot_id: string;
  readonly root_page_id: string;
}

/** Unlimited rate unless a test asks for one: most tests are about something else than the limit. */
export function startEmulator(options: NotionEmulatorOptions = {}): Promise<RunningEmulator> {
  return startNotionEmulator({ rate: null, pageEditMs: 0, ...options });
}

export async function control(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

export async function newIntegration(url: string, name?: string): Promise<Integration> {
  const res = await control(url, 'POST', '/_emulator/integrations', name === undefined ? {} : { name });
  if (res.status !== 201)
    throw new Error(`could not create an integration: ${res.status} ${await res.text()}`);
  return (await res.json()) as Integration;
}

/** `retry: false` so a test sees each 429/5xx itself; warnings off to keep the test output readable. */
export function sdk(url: string, token: string): Client {
  return new Client({ auth: token, baseUrl: url, retry: false, logLevel: LogLevel.ERROR });
}

/** A raw API request, for what the SDK would not send (missing headers, malformed bodies). */
export function raw(
  url: string,
  method: string,
  path: string,
  options: { token?: string; version?: string | null; body?: string; contentType?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.version !== null) headers['notion-version'] = options.version ?? '2025-09-03';
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  return fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}

/** The API error a call fails with (fails the test when it succeeds or fails otherwise). */
export async function apiError(call: Promise<unknown>): Promise<APIResponseError> {
  try {
    await call;
  } catch (error) {
    if (APIResponseError.isAPIResponseError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail with an API error, but it succeeded');
}

export const text = (content: string) => [{ type: 'text' as const, text: { content } }];

/** A data source with one property of every type the emulator models, plus a relation target. */
export async function createTestDataSource(notion: Client, integration: Integration) {
  const target = await notion.databases.create({
    parent: { type: 'page_id', page_id: integration.root_page_id },
    title: text('Targets'),
    initial_data_source: { properties: { Name: { title: {} } } },
  });
  const targetSourceId = dataSourceIdOf(target);
  const db = await notion.databases.create({
    parent: { type: 'page_id', page_id: integration.root_page_id },
    title: text('Everything'),
    initial_data_source: {
      properties: {
        Name: { title: {} },
        Notes: { rich_text: {} },
        Score: { number: { format: 'number' } },
        When: { date: {} },
        Stage: { select: { options: [{ name: 'Todo', color: 'red' }, { name: 'Doing' }, { name: 'Done' }] } },
        Tags: { multi_select: { options: [{ name: 'a' }, { name: 'b' }] } },
        Done: { checkbox: {} },
        Email: { email: {} },
        Phone: { phone_number: {} },
        Link: { url: {} },
        Targets: { relation: { data_source_id: targetSourceId, single_property: {} } },
        Edited: { last_edited_time: {} },
      },
    },
  });
  return { databaseId: db.id, dataSourceId: dataSourceIdOf(db), targetSourceId };
}

export function dataSourceIdOf(db: unknown): string {
  const sources = (db as { data_sources?: { id: string }[] }).data_sources;
  const id = sources?.[0]?.id;
  if (!id) throw new Error('database without a data source');
  return id;
}

/** A page object's property, loosely typed: tests look at the JSON the emulator sent. */
export function prop(page: unknown, name: string): Record<string, unknown> {
  const properties = (page as { properties: Record<string, Record<string, unknown>> }).properties;
  const value = properties[name];
  if (!value) throw new Error(`page has no property ${name}`);
  return value;
}
