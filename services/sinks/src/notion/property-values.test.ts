import { describe, expect, it } from 'vitest';
import { valueHash } from '../value-hash.ts';
import { notionPropertySchema } from './property-config.ts';
import { compileProperty, readValue, valueMeaning, type PropertyIntent } from './property-values.ts';
import { patientMapping } from './test-pages.ts';

// Row values (docs/contracts.md, type mapping) as Notion property values, within Notion's limits
// (https://developers.notion.com/reference/request-limits), and read back.

function property(config: Record<string, unknown>) {
  return compileProperty('P', notionPropertySchema.parse(config));
}

function payload(config: Record<string, unknown>, row: Record<string, unknown>): unknown {
  const intent: PropertyIntent = property(config).value(row);
  if (!('payload' in intent)) throw new Error('expected a payload');
  return intent.payload[config.type as string];
}

const problem = (config: Record<string, unknown>, row: Record<string, unknown>) => {
  try {
    payload(config, row);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
};

describe('text properties', () => {
  it('splits long text into rich text objects of at most 2000 characters, never inside a surrogate pair', () => {
    const text = `${'a'.repeat(1999)}😀${'b'.repeat(2500)}`;
    const items = payload({ field: 'notes', type: 'rich_text' }, { notes: text }) as {
      text: { content: string };
    }[];
    expect(items.map((item) => item.text.content.length)).toEqual([1999, 2000, 502]);
    expect(items.map((item) => item.text.content).join('')).toBe(text);
    expect(readValue('rich_text', { rich_text: items })).toBe(text);
  });

  it('fails text longer than 100 objects of 2000 characters, naming the property and field', () => {
    const mapping = patientMapping();
    const result = mapping.map({ id: 1n, name: 'Ada', notes: 'x'.repeat(200_001) }, []);
    expect(result).toEqual({
      reason:
        'sinks[0].tables.public.patients.properties.Notes (field notes): the value is 200001 characters long: ' +
        'Notion holds at most 100 rich text objects of 2000 characters in a property (200000 characters)',
    });
  });

  it('fills a template from several fields; null fields are empty text', () => {
    const config = { template: '{first} {last}', type: 'title' };
    expect(property(config).fields).toEqual(['first', 'last']);
    expect(readValue('title', { title: payload(config, { first: 'Ada', last: null }) })).toBe('Ada ');
    expect(payload(config, { first: null, last: null })).toEqual([{ type: 'text', text: { content: ' ' } }]);
  });

  it('writes null as no text, and refuses bytes', () => {
    expect(payload({ field: 'name', type: 'title' }, { name: null })).toEqual([]);
    expect(problem({ field: 'name', type: 'title' }, { name: new Uint8Array(3) })).toBe(
      '3 bytes is not text',
    );
  });
});

describe('number properties', () => {
  it('takes ints, doubles, bigints up to 2^53 and exact decimal text', () => {
    const number = { field: 'n', type: 'number' };
    expect(payload(number, { n: 7 })).toBe(7);
    expect(payload(number, { n: 9_007_199_254_740_991n })).toBe(9_007_199_254_740_991);
    expect(payload(number, { n: '123.4500' })).toBe(123.45);
    expect(payload(number, { n: '-0.000000000000001' })).toBe(-1e-15);
    expect(payload(number, { n: null })).toBeNull();
  });

  it('refuses what a double would change: more than 2^53, more than 15 digits, NaN', () => {
    const number = { field: 'n', type: 'number' };
    expect(problem(number, { n: 9_007_199_254_740_993n })).toMatch(/beyond 2\^53/u);
    expect(problem(number, { n: '1234567890.123456' })).toMatch(/has 16 significant digits/u);
    expect(problem(number, { n: Number.NaN })).toMatch(/is not a number Notion can hold/u);
    expect(problem(number, { n: 'twelve' })).toBe("'twelve' is not a number");
  });
});

describe('date properties', () => {
  const at = Date.UTC(2026, 11, 4, 9, 30, 15, 250);
  const micros = BigInt(at) * 1000n + 123n;

  it('writes a date column (days since the epoch) as an all-day date', () => {
    const days = Date.UTC(2026, 11, 4) / 86_400_000;
    expect(payload({ field: 'd', type: 'date' }, { d: days })).toEqual({ start: '2026-12-04' });
  });

  it('writes a timestamptz (micros) as the instant in UTC, or as the wall clock of time_zone with the zone', () => {
    expect(payload({ field: 't', type: 'date' }, { t: micros })).toEqual({
      start: '2026-12-04T09:30:15.250Z',
    });
    const paris = payload({ field: 't', type: 'date', time_zone: 'Europe/Paris' }, { t: micros });
    expect(paris).toEqual({ start: '2026-12-04T10:30:15.250', time_zone: 'Europe/Paris' });
    // Both spellings mean the same instant: a page showing either holds what we wrote.
    expect(valueMeaning('date', { date: paris })).toEqual(
      valueMeaning('date', { date: { start: '2026-12-04T09:30:15.250Z' } }),
    );
  });

  it('reads a timestamp without zone (local) as the wall clock of time_zone, and date_only as its date', () => {
    const local = { field: 't', type: 'date', local: true, time_zone: 'America/New_York' };
    expect(payload(local, { t: micros })).toEqual({
      start: '2026-12-04T09:30:15.250',
      time_zone: 'America/New_York',
    });
    const late = BigInt(Date.UTC(2026, 11, 4, 23, 30)) * 1000n;
    expect(
      payload({ field: 't', type: 'date', date_only: true, time_zone: 'Europe/Paris' }, { t: late }),
    ).toEqual({
      start: '2026-12-05',
    });
    expect(payload({ field: 't', type: 'date', date_only: true }, { t: late })).toEqual({
      start: '2026-12-04',
    });
  });

  it('takes ISO 8601 text and refuses infinity and other text', () => {
    expect(payload({ field: 't', type: 'date' }, { t: '2026-12-04T10:00:00+01:00' })).toEqual({
      start: '2026-12-04T10:00:00+01:00',
    });
    expect(problem({ field: 't', type: 'date' }, { t: 2_147_483_647 })).toMatch(/infinity/u);
    expect(problem({ field: 't', type: 'date' }, { t: 'tomorrow' })).toMatch(/^'tomorrow' is not a date/u);
  });
});

describe('options, checkboxes, contacts and relations', () => {
  it('writes select and multi_select names; a text value is split, an array column is not', () => {
    expect(payload({ field: 's', type: 'select' }, { s: 'urgent' })).toEqual({ name: 'urgent' });
    expect(payload({ field: 'm', type: 'multi_select' }, { m: 'a, b,,c' })).toEqual([
      { name: 'a' },
      { name: 'b' },
      { name: 'c' },
    ]);
    expect(payload({ field: 'm', type: 'multi_select' }, { m: ['x; y', null, 'z'] })).toEqual([
      { name: 'x; y' },
      { name: 'z' },
    ]);
    expect(problem({ field: 'm', type: 'multi_select', separator: ';' }, { m: ['x, y'] })).toMatch(
      /'x, y' holds a comma, which a Notion option name cannot/u,
    );
    expect(
      problem({ field: 'm', type: 'multi_select' }, { m: Array.from({ length: 101 }, (_, i) => `o${i}`) }),
    ).toMatch(/has 101 options: Notion takes at most 100/u);
  });

  it('writes a NULL checkbox unchecked, an empty email as none, and refuses an email over 200 characters', () => {
    expect(payload({ field: 'c', type: 'checkbox' }, { c: null })).toBe(false);
    expect(payload({ field: 'e', type: 'email' }, { e: '' })).toBeNull();
    expect(problem({ field: 'e', type: 'email' }, { e: `${'a'.repeat(200)}@x.org` })).toMatch(/at most 200/u);
  });

  it('writes page ids as Notion spells them, and keys of another table as keys to resolve', () => {
    const id = '1F2E3D4C5B6A47898ABCDEF012345678';
    expect(payload({ field: 'r', type: 'relation' }, { r: id })).toEqual([
      { id: '1f2e3d4c-5b6a-4789-8abc-def012345678' },
    ]);
    expect(problem({ field: 'r', type: 'relation' }, { r: 'doctor 7' })).toBe(
      "'doctor 7' is not a Notion page id",
    );
    const keys = property({ field: 'doctors', type: 'relation', table: 'public.doctors' }).value({
      doctors: [7n, 9n],
    });
    expect(keys).toEqual({ relatedKeys: ['7', '9'], table: 'public.doctors' });
  });
});

describe('reading values back', () => {
  it('hashes a value as Notion returns it like the value written', () => {
    const written = payload({ field: 'notes', type: 'rich_text' }, { notes: 'hello' });
    const returned = {
      id: 'abc',
      type: 'rich_text',
      rich_text: [
        {
          type: 'text',
          text: { content: 'hello', link: null },
          annotations: { bold: false },
          plain_text: 'hello',
          href: null,
        },
      ],
    };
    expect(valueHash(valueMeaning('rich_text', returned))).toBe(
      valueHash(valueMeaning('rich_text', { rich_text: written })),
    );
    expect(readValue('select', { select: { id: 'x', name: 'urgent', color: 'red' } })).toBe('urgent');
    expect(readValue('relation', { relation: [{ id: '1F2E3D4C5B6A47898ABCDEF012345678' }] })).toEqual([
      '1f2e3d4c-5b6a-4789-8abc-def012345678',
    ]);
  });
});
