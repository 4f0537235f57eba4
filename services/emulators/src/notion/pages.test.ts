import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import {
  apiError,
  createTestDataSource,
  newIntegration,
  prop,
  sdk,
  startEmulator,
  text,
  type Integration,
} from './test-support.ts';

let emulator: RunningEmulator;
let integration: Integration;
let notion: Client;
let ids: Awaited<ReturnType<typeof createTestDataSource>>;

beforeAll(async () => {
  emulator = await startEmulator({ pageEditMs: 30 });
  integration = await newIntegration(emulator.url, 'Pages test');
  notion = sdk(emulator.url, integration.token);
  ids = await createTestDataSource(notion, integration);
});
afterAll(() => emulator.close());

const newPage = (title: string) =>
  notion.pages.create({
    parent: { data_source_id: ids.dataSourceId },
    properties: { Name: { title: text(title) } },
  });

describe('users and databases', () => {
  it('users.me is the integration bot user (https://developers.notion.com/reference/get-self)', async () => {
    expect(await notion.users.me({})).toMatchObject({
      object: 'user',
      id: integration.bot_id,
      type: 'bot',
      name: 'Pages test',
    });
  });

  it('a new database has one data source carrying its schema (https://developers.notion.com/guides/get-started/upgrade-guide-2025-09-03)', async () => {
    const db = await notion.databases.retrieve({ database_id: ids.databaseId });
    expect(db).toMatchObject({
      object: 'database',
      parent: { type: 'page_id', page_id: integration.root_page_id },
      data_sources: [{ id: ids.dataSourceId, name: 'Everything' }],
      in_trash: false,
    });
    const source = await notion.dataSources.retrieve({ data_source_id: ids.dataSourceId });
    expect(source).toMatchObject({
      object: 'data_source',
      parent: { type: 'database_id', database_id: ids.databaseId },
      properties: {
        Name: { id: 'title', name: 'Name', type: 'title', title: {} },
        Score: { type: 'number', number: { format: 'number' } },
        Targets: {
          type: 'relation',
          relation: { data_source_id: ids.targetSourceId, type: 'single_property' },
        },
      },
    });
  });

  it('a database_id parent works while the database has one data source (https://developers.notion.com/guides/get-started/upgrade-guide-2025-09-03)', async () => {
    const page = await notion.pages.create({ parent: { database_id: ids.databaseId }, properties: {} });
    expect(page).toMatchObject({
      parent: { type: 'data_source_id', data_source_id: ids.dataSourceId, database_id: ids.databaseId },
    });
  });
});

describe('pages', () => {
  it('create then retrieve returns the page with who and when (https://developers.notion.com/reference/post-page)', async () => {
    const before = Date.now();
    const created = await newPage('one');
    expect(created).toMatchObject({
      object: 'page',
      in_trash: false,
      archived: false,
      created_by: { object: 'user', id: integration.bot_id },
      last_edited_by: { object: 'user', id: integration.bot_id },
      parent: { type: 'data_source_id', data_source_id: ids.dataSourceId },
    });
    expect(Date.parse((created as { last_edited_time: string }).last_edited_time)).toBeGreaterThanOrEqual(
      before,
    );
    expect(await notion.pages.retrieve({ page_id: created.id })).toEqual(created);
  });

  it('ids are accepted without dashes, as in notion.so URLs (https://developers.notion.com/reference/intro#conventions)', async () => {
    const created = await newPage('dashless');
    const again = await notion.pages.retrieve({ page_id: created.id.replaceAll('-', '') });
    expect(again.id).toBe(created.id);
  });

  it('update changes only the given properties and who/when edited (https://developers.notion.com/reference/patch-page)', async () => {
    const created = await newPage('two');
    const other = await newIntegration(emulator.url, 'Someone else');
    const updated = await sdk(emulator.url, other.token).pages.update({
      page_id: created.id,
      properties: { Score: { number: 2 } },
    });
    expect(prop(updated, 'Name').title).toEqual(prop(created, 'Name').title);
    expect(prop(updated, 'Score').number).toBe(2);
    expect(updated).toMatchObject({ last_edited_by: { object: 'user', id: other.bot_id } });
    const edited = (p: unknown) => Date.parse((p as { last_edited_time: string }).last_edited_time);
    expect(edited(updated)).toBeGreaterThanOrEqual(edited(created));
    expect(prop(updated, 'Edited').last_edited_time).toBe(
      (updated as { last_edited_time: string }).last_edited_time,
    );
  });

  it('in_trash: true trashes a page, false restores it; queries skip trashed pages (https://developers.notion.com/reference/trash-page)', async () => {
    const page = await newPage('trash me');
    const inQuery = async () =>
      (await notion.dataSources.query({ data_source_id: ids.dataSourceId })).results.some(
        (p) => p.id === page.id,
      );
    expect(await inQuery()).toBe(true);
    const trashed = await notion.pages.update({ page_id: page.id, in_trash: true });
    expect(trashed).toMatchObject({ in_trash: true, archived: true });
    expect(await notion.pages.retrieve({ page_id: page.id })).toMatchObject({ in_trash: true });
    expect(await inQuery()).toBe(false);
    const restored = await notion.pages.update({ page_id: page.id, in_trash: false });
    expect(restored).toMatchObject({ in_trash: false, archived: false });
    expect(await inQuery()).toBe(true);
  });

  // https://developers.notion.com/reference/query-a-data-source lists the body's in_trash; our
  // reading (query.ts): it picks the trashed pages instead of those in use.
  it('a query with in_trash: true finds the trashed pages, and only those (https://developers.notion.com/reference/query-a-data-source)', async () => {
    const kept = await newPage('kept');
    const binned = await newPage('binned');
    await notion.pages.update({ page_id: binned.id, in_trash: true });
    const found = async (inTrash: boolean) =>
      (await notion.dataSources.query({ data_source_id: ids.dataSourceId, in_trash: inTrash })).results.map(
        (p) => p.id,
      );
    expect(await found(true)).toContain(binned.id);
    expect(await found(true)).not.toContain(kept.id);
    expect(await found(false)).toContain(kept.id);
    expect(await found(false)).not.toContain(binned.id);
  });

  it('archived is the deprecated alias of in_trash (https://developers.notion.com/reference/patch-page)', async () => {
    const page = await newPage('archive me');
    expect(await notion.pages.update({ page_id: page.id, archived: true })).toMatchObject({ in_trash: true });
    expect(await notion.pages.update({ page_id: page.id, archived: false })).toMatchObject({
      in_trash: false,
    });
  });

  it('a trashed page cannot be edited until it is restored (https://developers.notion.com/reference/trash-page)', async () => {
    const page = await newPage('frozen');
    await notion.pages.update({ page_id: page.id, in_trash: true });
    const error = await apiError(
      notion.pages.update({ page_id: page.id, properties: { Score: { number: 1 } } }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    const both = await notion.pages.update({
      page_id: page.id,
      in_trash: false,
      properties: { Score: { number: 1 } },
    });
    expect(prop(both, 'Score').number).toBe(1);
  });

  it('an unknown page is 404 object_not_found (https://developers.notion.com/reference/status-codes)', async () => {
    const missing = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const error = await apiError(notion.pages.retrieve({ page_id: missing }));
    expect(error).toMatchObject({ status: 404, code: 'object_not_found' });
    expect(error.message).toContain(missing);
    expect(await apiError(notion.dataSources.query({ data_source_id: missing }))).toMatchObject({
      status: 404,
    });
    expect(await apiError(notion.databases.retrieve({ database_id: missing }))).toMatchObject({
      status: 404,
    });
  });

  it('an id that is not a uuid is 400 validation_error (https://developers.notion.com/reference/status-codes)', async () => {
    const error = await apiError(notion.pages.retrieve({ page_id: 'not-an-id' }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('path.page_id should be a valid uuid');
  });

  it('two overlapping updates of one page: the later gets 409 conflict_error (https://developers.notion.com/reference/status-codes)', async () => {
    const page = await newPage('contended');
    const results = await Promise.allSettled([
      notion.pages.update({ page_id: page.id, properties: { Score: { number: 1 } } }),
      notion.pages.update({ page_id: page.id, properties: { Score: { number: 2 } } }),
    ]);
    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { status: 409, code: 'conflict_error' } });
    // Updates of different pages do not collide.
    const other = await newPage('other');
    await Promise.all([
      notion.pages.update({ page_id: page.id, properties: { Score: { number: 3 } } }),
      notion.pages.update({ page_id: other.id, properties: { Score: { number: 3 } } }),
    ]);
  });

  it('filter_properties limits the properties in the answer (https://developers.notion.com/reference/retrieve-a-page)', async () => {
    const page = await newPage('some');
    const only = await notion.pages.retrieve({ page_id: page.id, filter_properties: ['title'] });
    expect(Object.keys((only as { properties: object }).properties)).toEqual(['Name']);
  });

  it('a page under a page has only a title (https://developers.notion.com/reference/post-page)', async () => {
    const child = await notion.pages.create({
      parent: { page_id: integration.root_page_id },
      properties: { title: { title: text('Child') } },
    });
    expect(child).toMatchObject({ parent: { type: 'page_id', page_id: integration.root_page_id } });
    expect(prop(child, 'title').title).toEqual([expect.objectContaining({ plain_text: 'Child' })]);
  });
});

describe('timestamps', () => {
  it('timestampPrecision "minute" rounds times down to the minute (https://developers.notion.com/changelog/last-edited-time-is-now-rounded-to-the-nearest-minute)', async () => {
    const rounded = await startEmulator({ timestampPrecision: 'minute' });
    try {
      const bot = await newIntegration(rounded.url);
      const client = sdk(rounded.url, bot.token);
      const db = await client.databases.create({ parent: { type: 'page_id', page_id: bot.root_page_id } });
      const page = await client.pages.create({ parent: { database_id: db.id }, properties: {} });
      expect((page as { last_edited_time: string }).last_edited_time).toMatch(/:00\.000Z$/);
      expect((page as { created_time: string }).created_time).toMatch(/:00\.000Z$/);
    } finally {
      await rounded.close();
    }
  });
});
