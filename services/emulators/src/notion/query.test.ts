import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import { apiError, newIntegration, prop, sdk, startEmulator, text } from './test-support.ts';

const PAGINATION = 'https://developers.notion.com/reference/intro#pagination';

let emulator: RunningEmulator;
let notion: Client;
let dataSourceId: string;
const TOTAL = 130;

const nameOf = (p: unknown) => (prop(p, 'Name').title as { plain_text: string }[])[0]?.plain_text;

beforeAll(async () => {
  emulator = await startEmulator();
  const integration = await newIntegration(emulator.url);
  notion = sdk(emulator.url, integration.token);
  const db = await notion.databases.create({
    parent: { type: 'page_id', page_id: integration.root_page_id },
    initial_data_source: { properties: { Name: { title: {} }, Group: { number: {} } } },
  });
  dataSourceId = (db as { data_sources: { id: string }[] }).data_sources[0]?.id as string;
  for (let i = 0; i < TOTAL; i++)
    await notion.pages.create({
      parent: { data_source_id: dataSourceId },
      properties: { Name: { title: text(`p${String(i).padStart(3, '0')}`) }, Group: { number: i % 3 } },
    });
});
afterAll(() => emulator.close());

describe('pagination', () => {
  it(`pages come 100 at most, with has_more and next_cursor to the rest (${PAGINATION})`, async () => {
    const first = await notion.dataSources.query({ data_source_id: dataSourceId });
    expect(first.results).toHaveLength(100);
    expect(first.has_more).toBe(true);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await notion.dataSources.query({
      data_source_id: dataSourceId,
      start_cursor: first.next_cursor,
    });
    expect(second.results).toHaveLength(TOTAL - 100);
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    const names = [...first.results, ...second.results].map(nameOf);
    expect(new Set(names).size).toBe(TOTAL);
  });

  it(`page_size picks a smaller batch; the cursor walk visits every match once (${PAGINATION})`, async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await notion.dataSources.query({
        data_source_id: dataSourceId,
        page_size: 7,
        filter: { property: 'Group', number: { equals: 0 } },
        ...(cursor ? { start_cursor: cursor } : {}),
      });
      expect(res.results.length).toBeLessThanOrEqual(7);
      seen.push(...res.results.map((p) => nameOf(p) as string));
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(Math.ceil(TOTAL / 3));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it(`page_size over 100 is a validation_error (${PAGINATION})`, async () => {
    const error = await apiError(notion.dataSources.query({ data_source_id: dataSourceId, page_size: 101 }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('page_size');
  });

  it(`a start_cursor that no answer gave is a validation_error (${PAGINATION})`, async () => {
    const error = await apiError(
      notion.dataSources.query({
        data_source_id: dataSourceId,
        start_cursor: '5c6a28ff-0000-4000-8000-000000000000',
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });
});

describe('nested sorts', () => {
  it('the first sort takes precedence, later ones order its ties (https://developers.notion.com/reference/sort-data-source-entries)', async () => {
    const res = await notion.dataSources.query({
      data_source_id: dataSourceId,
      page_size: 5,
      sorts: [
        { property: 'Group', direction: 'descending' },
        { property: 'Name', direction: 'descending' },
      ],
    });
    expect(res.results.map(nameOf)).toEqual(['p128', 'p125', 'p122', 'p119', 'p116']);
  });

  it('a sort naming an unknown property is a validation_error (https://developers.notion.com/reference/sort-data-source-entries)', async () => {
    const error = await apiError(
      notion.dataSources.query({
        data_source_id: dataSourceId,
        sorts: [{ property: 'Nope', direction: 'ascending' }],
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });
});
