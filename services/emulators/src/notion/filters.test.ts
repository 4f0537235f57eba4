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

const FILTERS = 'https://developers.notion.com/reference/filter-data-source-entries';

let emulator: RunningEmulator;
let integration: Integration;
let notion: Client;
let ids: Awaited<ReturnType<typeof createTestDataSource>>;
let targetId: string;

type Filter = NonNullable<Parameters<Client['dataSources']['query']>[0]['filter']>;

/** Titles of the pages a filter returns, in query order. */
async function titles(filter: Filter): Promise<string[]> {
  const res = await notion.dataSources.query({ data_source_id: ids.dataSourceId, filter });
  return res.results.map((p) => (prop(p, 'Name').title as { plain_text: string }[])[0]?.plain_text ?? '');
}

beforeAll(async () => {
  emulator = await startEmulator();
  integration = await newIntegration(emulator.url);
  notion = sdk(emulator.url, integration.token);
  ids = await createTestDataSource(notion, integration);
  targetId = (await notion.pages.create({ parent: { data_source_id: ids.targetSourceId }, properties: {} }))
    .id;
  const rows = [
    {
      Name: { title: text('alpha') },
      Notes: { rich_text: text('first row') },
      Score: { number: 1 },
      Stage: { select: { name: 'Todo' } },
      Tags: { multi_select: [{ name: 'a' }] },
      Done: { checkbox: true },
      When: { date: { start: '2025-03-01' } },
      Email: { email: 'a@example.com' },
      Targets: { relation: [{ id: targetId }] },
    },
    {
      Name: { title: text('beta') },
      Notes: { rich_text: text('second row') },
      Score: { number: 5 },
      Stage: { select: { name: 'Done' } },
      Tags: { multi_select: [{ name: 'a' }, { name: 'b' }] },
      When: { date: { start: '2025-03-02T12:00:00.000Z' } },
    },
    { Name: { title: text('gamma') }, Score: { number: 10 } },
  ];
  for (const properties of rows)
    await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: properties as never,
    });
});
afterAll(() => emulator.close());

describe('property filters', () => {
  it(`rich text: equals, contains, starts_with, does_not_contain, is_empty (${FILTERS}#rich-text)`, async () => {
    expect(await titles({ property: 'Name', title: { equals: 'beta' } })).toEqual(['beta']);
    expect(await titles({ property: 'Notes', rich_text: { contains: 'row' } })).toEqual(['alpha', 'beta']);
    expect(await titles({ property: 'Notes', rich_text: { starts_with: 'sec' } })).toEqual(['beta']);
    expect(await titles({ property: 'Notes', rich_text: { does_not_contain: 'first' } })).toEqual([
      'beta',
      'gamma',
    ]);
    expect(await titles({ property: 'Notes', rich_text: { is_empty: true } })).toEqual(['gamma']);
    expect(await titles({ property: 'Email', email: { is_not_empty: true } })).toEqual(['alpha']);
  });

  it(`number: equals, greater_than, less_than_or_equal_to, is_empty (${FILTERS}#number)`, async () => {
    expect(await titles({ property: 'Score', number: { equals: 5 } })).toEqual(['beta']);
    expect(await titles({ property: 'Score', number: { greater_than: 1 } })).toEqual(['beta', 'gamma']);
    expect(await titles({ property: 'Score', number: { less_than_or_equal_to: 5 } })).toEqual([
      'alpha',
      'beta',
    ]);
    expect(await titles({ property: 'Score', number: { is_empty: true } })).toEqual([]);
  });

  it(`checkbox: equals and does_not_equal (${FILTERS}#checkbox)`, async () => {
    expect(await titles({ property: 'Done', checkbox: { equals: true } })).toEqual(['alpha']);
    expect(await titles({ property: 'Done', checkbox: { does_not_equal: true } })).toEqual(['beta', 'gamma']);
  });

  it(`select: equals, does_not_equal, is_empty (${FILTERS}#select)`, async () => {
    expect(await titles({ property: 'Stage', select: { equals: 'Done' } })).toEqual(['beta']);
    expect(await titles({ property: 'Stage', select: { does_not_equal: 'Done' } })).toEqual([
      'alpha',
      'gamma',
    ]);
    expect(await titles({ property: 'Stage', select: { is_empty: true } })).toEqual(['gamma']);
  });

  it(`multi_select: contains, does_not_contain (${FILTERS}#multi-select)`, async () => {
    expect(await titles({ property: 'Tags', multi_select: { contains: 'b' } })).toEqual(['beta']);
    expect(await titles({ property: 'Tags', multi_select: { does_not_contain: 'b' } })).toEqual([
      'alpha',
      'gamma',
    ]);
  });

  it(`date: a date without a time compares whole days, one with a time to the millisecond (${FILTERS}#date)`, async () => {
    expect(await titles({ property: 'When', date: { equals: '2025-03-02' } })).toEqual(['beta']);
    expect(await titles({ property: 'When', date: { before: '2025-03-02' } })).toEqual(['alpha']);
    expect(await titles({ property: 'When', date: { on_or_after: '2025-03-01' } })).toEqual([
      'alpha',
      'beta',
    ]);
    expect(await titles({ property: 'When', date: { after: '2025-03-02T12:00:00.000Z' } })).toEqual([]);
    expect(await titles({ property: 'When', date: { on_or_before: '2025-03-02T12:00:00' } })).toEqual([
      'alpha',
      'beta',
    ]);
    expect(await titles({ property: 'When', date: { is_empty: true } })).toEqual(['gamma']);
  });

  it(`relation: contains a page id, is_empty (${FILTERS}#relation)`, async () => {
    expect(await titles({ property: 'Targets', relation: { contains: targetId } })).toEqual(['alpha']);
    expect(await titles({ property: 'Targets', relation: { is_empty: true } })).toEqual(['beta', 'gamma']);
  });

  it(`timestamp: last_edited_time past_week (${FILTERS}#timestamp)`, async () => {
    expect(await titles({ timestamp: 'last_edited_time', last_edited_time: { past_week: {} } })).toEqual([
      'alpha',
      'beta',
      'gamma',
    ]);
    expect(await titles({ timestamp: 'created_time', created_time: { before: '2000-01-01' } })).toEqual([]);
  });

  it(`a filter naming an unknown property is a validation_error (${FILTERS})`, async () => {
    const error = await apiError(titles({ property: 'Nope', number: { equals: 1 } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('Could not find property with name or id: Nope');
  });

  it(`a condition of another type than the property's is a validation_error (${FILTERS})`, async () => {
    const error = await apiError(titles({ property: 'Score', rich_text: { equals: '5' } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });
});

describe('compound filters', () => {
  it(`and / or combine conditions, nested one level (${FILTERS}#compound-filter-conditions)`, async () => {
    expect(
      await titles({
        and: [
          { property: 'Score', number: { greater_than: 0 } },
          {
            or: [
              { property: 'Stage', select: { equals: 'Todo' } },
              { property: 'Score', number: { equals: 10 } },
            ],
          },
        ],
      }),
    ).toEqual(['alpha', 'gamma']);
  });

  it(`compound filters nest at most two levels deep (${FILTERS}#compound-filter-conditions)`, async () => {
    const leaf = { property: 'Score', number: { equals: 1 } } as const;
    const error = await apiError(titles({ or: [{ and: [{ or: [leaf] }] }] } as never));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('nested at most 2 levels');
  });

  // https://developers.notion.com/reference/request-limits: arrays in a request hold at most 100 items.
  it('an or list holds at most 100 filters (https://developers.notion.com/reference/request-limits)', async () => {
    const leaf = { property: 'Score', number: { equals: 1 } } as const;
    expect(await titles({ or: Array.from({ length: 100 }, () => leaf) })).toEqual(['alpha']);
    const error = await apiError(titles({ or: Array.from({ length: 101 }, () => leaf) }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });
});

describe('sorts', () => {
  it('sorts by a property, empty values last (https://developers.notion.com/reference/sort-data-source-entries)', async () => {
    const res = await notion.dataSources.query({
      data_source_id: ids.dataSourceId,
      sorts: [{ property: 'When', direction: 'descending' }],
    });
    expect(
      res.results.map((p) => (prop(p, 'Name').title as { plain_text: string }[])[0]?.plain_text),
    ).toEqual(['beta', 'alpha', 'gamma']);
  });
});
