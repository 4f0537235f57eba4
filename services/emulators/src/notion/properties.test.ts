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

const VALUES = 'https://developers.notion.com/reference/page-property-values';

let emulator: RunningEmulator;
let integration: Integration;
let notion: Client;
let ids: Awaited<ReturnType<typeof createTestDataSource>>;

beforeAll(async () => {
  emulator = await startEmulator();
  integration = await newIntegration(emulator.url);
  notion = sdk(emulator.url, integration.token);
  ids = await createTestDataSource(notion, integration);
});
afterAll(() => emulator.close());

describe('property values round-trip', () => {
  it(`title and rich_text keep content, links and annotations (${VALUES}#title, #rich-text)`, async () => {
    const page = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: {
        Name: { title: text('Hello') },
        Notes: {
          rich_text: [
            { text: { content: 'see ', link: null } },
            { text: { content: 'docs', link: { url: 'https://example.com' } }, annotations: { bold: true } },
          ],
        },
      },
    });
    const again = await notion.pages.retrieve({ page_id: page.id });
    expect(prop(again, 'Name')).toMatchObject({
      id: 'title',
      type: 'title',
      title: [{ plain_text: 'Hello' }],
    });
    expect(prop(again, 'Notes').rich_text).toEqual([
      expect.objectContaining({ plain_text: 'see ', href: null }),
      expect.objectContaining({
        type: 'text',
        text: { content: 'docs', link: { url: 'https://example.com' } },
        plain_text: 'docs',
        href: 'https://example.com',
        annotations: {
          bold: true,
          italic: false,
          strikethrough: false,
          underline: false,
          code: false,
          color: 'default',
        },
      }),
    ]);
  });

  it(`number, checkbox, email, phone_number and url keep their values (${VALUES})`, async () => {
    const page = await notion.pages.create({
      parent: { type: 'data_source_id', data_source_id: ids.dataSourceId },
      properties: {
        Score: { number: 4.5 },
        Done: { checkbox: true },
        Email: { email: 'ada@example.com' },
        Phone: { phone_number: '+44 20 7946 0000' },
        Link: { url: 'https://example.com/a?b=c' },
      },
    });
    const again = await notion.pages.retrieve({ page_id: page.id });
    expect(prop(again, 'Score').number).toBe(4.5);
    expect(prop(again, 'Done').checkbox).toBe(true);
    expect(prop(again, 'Email').email).toBe('ada@example.com');
    expect(prop(again, 'Phone').phone_number).toBe('+44 20 7946 0000');
    expect(prop(again, 'Link').url).toBe('https://example.com/a?b=c');
  });

  it(`unset properties read as empty values (${VALUES})`, async () => {
    const page = await notion.pages.create({ parent: { data_source_id: ids.dataSourceId }, properties: {} });
    expect(prop(page, 'Name').title).toEqual([]);
    expect(prop(page, 'Score').number).toBeNull();
    expect(prop(page, 'Done').checkbox).toBe(false);
    expect(prop(page, 'Stage').select).toBeNull();
    expect(prop(page, 'Tags').multi_select).toEqual([]);
    expect(prop(page, 'When').date).toBeNull();
    expect(prop(page, 'Targets')).toMatchObject({ relation: [], has_more: false });
  });

  it(`date keeps start, end and time_zone (${VALUES}#date)`, async () => {
    const page = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: {
        When: { date: { start: '2025-01-02T10:00:00.000+01:00', end: '2025-01-02T11:00:00.000+01:00' } },
      },
    });
    expect(prop(page, 'When').date).toEqual({
      start: '2025-01-02T10:00:00.000+01:00',
      end: '2025-01-02T11:00:00.000+01:00',
      time_zone: null,
    });
    const zoned = await notion.pages.update({
      page_id: page.id,
      properties: { When: { date: { start: '2025-01-02T10:00:00', time_zone: 'Europe/Paris' } } },
    });
    expect(prop(zoned, 'When').date).toEqual({
      start: '2025-01-02T10:00:00',
      end: null,
      time_zone: 'Europe/Paris',
    });
    const error = await apiError(
      notion.pages.update({ page_id: page.id, properties: { When: { date: { start: 'next tuesday' } } } }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });

  it(`select by name or id; a new name becomes an option of the schema (${VALUES}#select)`, async () => {
    const byName = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: { Stage: { select: { name: 'Todo' } } },
    });
    const todo = prop(byName, 'Stage').select as { id: string; name: string; color: string };
    expect(todo).toMatchObject({ name: 'Todo', color: 'red' });
    const byId = await notion.pages.update({
      page_id: byName.id,
      properties: { Stage: { select: { id: todo.id } } },
    });
    expect(prop(byId, 'Stage').select).toEqual(todo);
    await notion.pages.update({ page_id: byName.id, properties: { Stage: { select: { name: 'Blocked' } } } });
    const source = (await notion.dataSources.retrieve({ data_source_id: ids.dataSourceId })) as unknown as {
      properties: { Stage: { select: { options: { name: string }[] } } };
    };
    expect(source.properties.Stage.select.options.map((o) => o.name)).toEqual([
      'Todo',
      'Doing',
      'Done',
      'Blocked',
    ]);
    const cleared = await notion.pages.update({
      page_id: byName.id,
      properties: { Stage: { select: null } },
    });
    expect(prop(cleared, 'Stage').select).toBeNull();
  });

  it(`select names cannot contain commas (${VALUES}#select)`, async () => {
    const error = await apiError(
      notion.pages.create({
        parent: { data_source_id: ids.dataSourceId },
        properties: { Stage: { select: { name: 'a,b' } } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('commas');
  });

  it(`multi_select keeps the options in order, without duplicates (${VALUES}#multi-select)`, async () => {
    const page = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: { Tags: { multi_select: [{ name: 'b' }, { name: 'new' }, { name: 'b' }] } },
    });
    expect((prop(page, 'Tags').multi_select as { name: string }[]).map((o) => o.name)).toEqual(['b', 'new']);
  });

  it(`relation keeps page references and says has_more (${VALUES}#relation)`, async () => {
    const target = await notion.pages.create({
      parent: { data_source_id: ids.targetSourceId },
      properties: { Name: { title: text('T') } },
    });
    const page = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: { Targets: { relation: [{ id: target.id }] } },
    });
    expect(prop(page, 'Targets')).toEqual({
      id: expect.any(String) as unknown,
      type: 'relation',
      relation: [{ id: target.id }],
      has_more: false,
    });
    // A page of another data source is not a valid target of this relation.
    const error = await apiError(
      notion.pages.update({ page_id: page.id, properties: { Targets: { relation: [{ id: page.id }] } } }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });

  // https://developers.notion.com/reference/property-value-object: "Property values in the page object have a 25 page reference limit".
  it('the page object lists at most 25 related pages (https://developers.notion.com/reference/property-value-object)', async () => {
    const targets = await Promise.all(
      Array.from({ length: 30 }, () =>
        notion.pages.create({ parent: { data_source_id: ids.targetSourceId }, properties: {} }),
      ),
    );
    const page = await notion.pages.create({
      parent: { data_source_id: ids.dataSourceId },
      properties: { Targets: { relation: targets.map((t) => ({ id: t.id })) } },
    });
    const relation = prop(page, 'Targets');
    expect((relation.relation as unknown[]).length).toBe(25);
    expect(relation.has_more).toBe(true);
  });
});

describe('property validation', () => {
  it(`a value of the wrong type names the property (${VALUES})`, async () => {
    const error = await apiError(
      notion.pages.create({
        parent: { data_source_id: ids.dataSourceId },
        properties: { Score: { rich_text: text('five') } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('Score is expected to be number');
  });

  it(`an unknown property name is a validation_error naming it (${VALUES})`, async () => {
    const error = await apiError(
      notion.pages.create({
        parent: { data_source_id: ids.dataSourceId },
        properties: { Nmae: { title: text('typo') } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('Nmae is not a property that exists');
  });

  it(`a number must be a finite number, a checkbox a boolean (${VALUES}#number, #checkbox)`, async () => {
    for (const properties of [{ Score: { number: '5' } }, { Done: { checkbox: 'yes' } }]) {
      const error = await apiError(
        notion.pages.create({
          parent: { data_source_id: ids.dataSourceId },
          properties: properties as never,
        }),
      );
      expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    }
  });

  it(`computed properties cannot be set (${VALUES}#last-edited-time)`, async () => {
    const error = await apiError(
      notion.pages.create({
        parent: { data_source_id: ids.dataSourceId },
        properties: { Edited: { last_edited_time: '2020-01-01T00:00:00.000Z' } } as never,
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('cannot be set');
  });

  it('a database needs exactly one title property (https://developers.notion.com/reference/property-object#title)', async () => {
    const error = await apiError(
      notion.databases.create({
        parent: { type: 'page_id', page_id: integration.root_page_id },
        initial_data_source: { properties: { Notes: { rich_text: {} } } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('exactly one title property');
  });
});
