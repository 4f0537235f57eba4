import type { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import {
  apiError,
  createTestDataSource,
  newIntegration,
  prop,
  raw,
  sdk,
  startEmulator,
  type Integration,
} from './test-support.ts';

// Size limits: https://developers.notion.com/reference/request-limits#size-limits
const LIMITS = 'https://developers.notion.com/reference/request-limits';

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

const create = (properties: Record<string, unknown>) =>
  notion.pages.create({ parent: { data_source_id: ids.dataSourceId }, properties: properties as never });

describe('size limits', () => {
  it(`a rich text item's text.content holds at most 2000 characters (${LIMITS})`, async () => {
    const ok = await create({ Notes: { rich_text: [{ text: { content: 'x'.repeat(2000) } }] } });
    expect((prop(ok, 'Notes').rich_text as { plain_text: string }[])[0]?.plain_text).toHaveLength(2000);
    const error = await apiError(create({ Notes: { rich_text: [{ text: { content: 'x'.repeat(2001) } }] } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain(
      'body.properties.Notes.rich_text[0].text.content.length should be ≤ `2000`',
    );
  });

  it(`a rich text array holds at most 100 items (${LIMITS})`, async () => {
    const items = (n: number) => Array.from({ length: n }, () => ({ text: { content: 'a' } }));
    await create({ Name: { title: items(100) } });
    const error = await apiError(create({ Name: { title: items(101) } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
    expect(error.message).toContain('length should be ≤ `100`');
  });

  it(`a multi_select holds at most 100 options (${LIMITS})`, async () => {
    const options = Array.from({ length: 101 }, (_, i) => ({ name: `o${i}` }));
    const error = await apiError(create({ Tags: { multi_select: options } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });

  it(`a relation holds at most 100 related pages (${LIMITS})`, async () => {
    const targets = [];
    for (let i = 0; i < 101; i++)
      targets.push(
        (await notion.pages.create({ parent: { data_source_id: ids.targetSourceId }, properties: {} })).id,
      );
    await create({ Targets: { relation: targets.slice(0, 100).map((id) => ({ id })) } });
    const error = await apiError(create({ Targets: { relation: targets.map((id) => ({ id })) } }));
    expect(error).toMatchObject({ status: 400, code: 'validation_error' });
  });

  it(`url holds 2000 characters, email and phone_number 200 (${LIMITS})`, async () => {
    for (const properties of [
      { Link: { url: `https://example.com/${'a'.repeat(2000)}` } },
      { Email: { email: `${'a'.repeat(200)}@example.com` } },
      { Phone: { phone_number: '1'.repeat(201) } },
    ])
      expect(await apiError(create(properties))).toMatchObject({ status: 400, code: 'validation_error' });
  });

  it(`a request body over 500 KB is a validation_error (${LIMITS})`, async () => {
    const body = JSON.stringify({
      parent: { data_source_id: ids.dataSourceId },
      properties: { Notes: { rich_text: [{ text: { content: 'x'.repeat(500_001) } }] } },
    });
    const res = await raw(emulator.url, 'POST', '/v1/pages', { token: integration.token, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ object: 'error', code: 'validation_error' });
  });
});
