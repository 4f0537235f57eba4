import { describe, expect, it } from 'vitest';
import { CdcError, redactSecrets } from '@cdc/core';
import { notionSinkSchema, parseNotionSinkConfig } from './config.ts';
import { DATA_SOURCE, PATIENT_PROPERTIES, patientEntry } from './test-pages.ts';

// The `sinks:` entry of a Notion sink: defaults, and errors that name the setting and the fix.

function problems(input: Record<string, unknown>): string[] {
  try {
    parseNotionSinkConfig({
      kind: 'notion',
      name: 'crm',
      topics: ['cdc.public.patients'],
      token: 'ntn_x',
      ...input,
    });
  } catch (error) {
    if (error instanceof CdcError) return error.details.problems as string[];
    throw error;
  }
  return [];
}

const table = (extra: Record<string, unknown> = {}) => ({
  'public.patients': {
    data_source_id: DATA_SOURCE,
    key_property: 'ID',
    key: '{id}',
    properties: PATIENT_PROPERTIES,
    ...extra,
  },
});

describe('notion sink settings', () => {
  it("defaults to notion.url's address, its documented 3 requests/s, and the CDC sync property", () => {
    const entry = patientEntry();
    expect(entry.url).toBeUndefined(); // the kind's defaultTarget: notion.url, else NOTION_URL, else the API
    expect(entry.requests).toEqual({ per_second: 3, burst: 1 });
    expect(entry.concurrency).toBe(3);
    expect(entry.tables['public.patients']?.sync_property).toBe('CDC sync');
    expect(entry.conflict.policy).toBe('source_wins');
  });

  it('never prints the token', () => {
    const entry = patientEntry({ token: 'ntn_very_secret' });
    expect(JSON.stringify(redactSecrets(notionSinkSchema, entry))).not.toContain('ntn_very_secret');
  });

  it('names a property without field, one with field and template, and an unknown type', () => {
    expect(
      problems({
        tables: table({
          properties: {
            Name: { type: 'title' },
            Both: { type: 'rich_text', field: 'a', template: '{b}' },
            Plain: { type: 'number' },
            Odd: { field: 'x', type: 'people' },
          },
        }),
      }),
    ).toEqual([
      expect.stringMatching(
        /^sinks\.tables\['public\.patients'\]\.properties\.Name\.field: needs field \(a row field\) or template/u,
      ),
      expect.stringMatching(/properties\.Both\.field: takes field or template, not both/u),
      expect.stringMatching(/properties\.Plain\.field: needs field: the row field/u),
      expect.stringMatching(/properties\.Odd\.type: must be one of title, rich_text, number, date/u),
    ]);
  });

  it('refuses the key or the sync property among the properties', () => {
    expect(
      problems({
        tables: table({
          properties: {
            ID: { field: 'id', type: 'rich_text' },
            'CDC sync': { field: 'x', type: 'rich_text' },
          },
        }),
      }),
    ).toEqual([
      expect.stringMatching(/properties: must not map ID: the sink writes the key_property itself/u),
      expect.stringMatching(/properties: must not map CDC sync: the sink keeps its bookkeeping there/u),
    ]);
  });

  it('refuses a relation to a table the sink does not map', () => {
    const relation = { Doctor: { field: 'doctor_id', type: 'relation', table: 'public.doctors' } };
    expect(problems({ tables: table({ properties: relation }) })).toEqual([
      expect.stringMatching(
        /properties\.Doctor\.table: public\.doctors is not a table of this sink: map it under tables/u,
      ),
    ]);
  });

  it('asks for a valid data source id, key template and time zone', () => {
    const found = problems({
      tables: table({
        data_source_id: 'not-an-id',
        key: 'patient',
        properties: { Seen: { field: 'seen', type: 'date', time_zone: 'Mars/Olympus' } },
      }),
    });
    expect(found).toEqual([
      expect.stringMatching(/data_source_id: must be a Notion id .*Copy data source ID/u),
      expect.stringMatching(/\.key: names no field/u),
      expect.stringMatching(/Seen\.time_zone: must be an IANA time zone/u),
    ]);
  });

  it('needs timestamp_field for newest_wins (last_edited_time reads the page’s own)', () => {
    expect(problems({ tables: table(), conflict: { policy: 'newest_wins' } })).toEqual([
      expect.stringMatching(/conflict\.timestamp_field: newest_wins needs timestamp_field/u),
    ]);
    expect(
      problems({ tables: table(), conflict: { policy: 'newest_wins', timestamp_field: 'last_edited_time' } }),
    ).toEqual([]);
  });
});
