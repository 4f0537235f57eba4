import { keyPart, parseKeyTemplate, type KeyTemplate, type SinkRow } from '@cdc/core';
import { ValueProblem, shown } from '../fhir/mapping/value-problem.ts';
import { dateMeaning, notionDate } from './dates.ts';
import type { NotionPropertyConfig, NotionPropertyType } from './property-config.ts';
import { plainText, richText } from './rich-text.ts';

/**
 * One mapped property, compiled: the row fields it reads, and how a row's values become the
 * property value Notion takes (https://developers.notion.com/reference/page-property-values),
 * within Notion's limits (https://developers.notion.com/reference/request-limits). What a value
 * cannot become is a ValueProblem: the row fails with it, named by property and field.
 */
export interface CompiledProperty {
  readonly name: string;
  readonly type: NotionPropertyType;
  /** The row fields the value is made of (a template's, or the one field). */
  readonly fields: readonly string[];
  /** Made by a template: its value is text of several fields, not one field's. */
  readonly fromTemplate: boolean;
  /** relation with `table`: the values are keys of rows of that table, resolved to their pages. */
  readonly relationTable: string | undefined;
  /** The property value for a row; throws ValueProblem. */
  value(row: SinkRow): PropertyIntent;
}

/** A property value as the sink sends it: `{ [type]: ... }`, the shape Notion also returns. */
export type PropertyPayload = Readonly<Record<string, unknown>>;

/** What a row makes of a property: its value, or the keys of the related rows whose pages it points at. */
export type PropertyIntent =
  { readonly payload: PropertyPayload } | { readonly relatedKeys: readonly string[]; readonly table: string };

// Documented at https://developers.notion.com/reference/request-limits#limits-for-property-values.
const MAX_URL = 2000;
const MAX_EMAIL = 200;
const MAX_PHONE = 200;
const MAX_ITEMS = 100;
// An option name: no commas (https://developers.notion.com/reference/property-object#select), 100 characters.
const MAX_OPTION_NAME = 100;
// A double holds 15 significant decimal digits exactly.
const MAX_EXACT_DIGITS = 15;
const NOTION_ID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/iu;

export function compileProperty(name: string, config: NotionPropertyConfig): CompiledProperty {
  const template =
    'template' in config && config.template !== undefined ? parsedTemplate(config.template) : undefined;
  const field = config.field;
  const fields = template ? [...new Set(template.fields)] : field === undefined ? [] : [field];
  const raw = (row: SinkRow): unknown => (template ? templateText(template, row) : row[field as string]);
  const payload = (convert: (value: unknown) => unknown) => (row: SinkRow) => ({
    payload: { [config.type]: convert(raw(row)) },
  });
  const relationTable = config.type === 'relation' ? config.table : undefined;
  let value: (row: SinkRow) => PropertyIntent;
  switch (config.type) {
    case 'title':
    case 'rich_text':
      value = payload((v) => richText(textOf(v) ?? ''));
      break;
    case 'number':
      value = payload(numberOf);
      break;
    case 'date': {
      const options = { timeZone: config.time_zone, local: config.local, dateOnly: config.date_only };
      value = payload((v) => notionDate(v, options));
      break;
    }
    case 'select':
      value = payload((v) => {
        // Option names are trimmed, as the multi_select items split from text are; empty is none.
        const text = textOf(v)?.trim();
        return text === undefined || text === '' ? null : { name: optionName(text) };
      });
      break;
    case 'multi_select':
      value = payload((v) =>
        itemsOf(v, config.separator, 'options').map((item) => ({ name: optionName(item) })),
      );
      break;
    case 'checkbox':
      value = payload(checkboxOf);
      break;
    case 'email':
      value = payload((v) => limited(textOf(v), MAX_EMAIL, 'an email'));
      break;
    case 'phone_number':
      value = payload((v) => limited(textOf(v), MAX_PHONE, 'a phone number'));
      break;
    case 'url':
      value = payload((v) => limited(textOf(v), MAX_URL, 'a URL'));
      break;
    case 'relation': {
      const { table, separator } = config;
      value = (row) => {
        const items = itemsOf(raw(row), separator, 'related pages');
        if (table !== undefined) return { relatedKeys: items, table };
        return { payload: { relation: items.map((item) => ({ id: pageIdOf(item)! })) } };
      };
      break;
    }
  }
  return { name, type: config.type, fields, fromTemplate: template !== undefined, relationTable, value };
}

function parsedTemplate(source: string): KeyTemplate {
  const parsed = parseKeyTemplate(source, { placeholder: 'a row field', noField: 'names no field' });
  // The settings were validated already (property-config.ts).
  if (typeof parsed === 'string') throw new Error(`template ${source}: ${parsed}`);
  return parsed;
}

/** The template filled from the row; a null field is empty text. */
export function templateText(template: KeyTemplate, row: SinkRow): string {
  let text = template.literals[0] ?? '';
  template.fields.forEach((field, i) => {
    const value = row[field];
    const part = value === null || value === undefined ? '' : keyPart(value);
    if (part === undefined) throw new ValueProblem(`{${field}} is ${shown(value)}, which is not text`);
    text += part + (template.literals[i + 1] ?? '');
  });
  return text;
}

function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  throw new ValueProblem(`${shown(value)} is not text`);
}

function limited(text: string | undefined, max: number, what: string): string | null {
  if (text === undefined || text === '') return null;
  if (text.length > max)
    throw new ValueProblem(`is ${text.length} characters long: Notion takes ${what} of at most ${max}`);
  return text;
}

function numberOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValueProblem(`${shown(value)} is not a number Notion can hold`);
    return value;
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new ValueProblem(`${value} is beyond 2^53: a Notion number cannot hold it exactly`);
    return Number(value);
  }
  // Decimals arrive as their exact text (docs/contracts.md).
  if (typeof value === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)$/u.test(value.trim())) {
    const digits = value
      .trim()
      .replace(/^[+-]/u, '')
      .replace(/(\.\d*?)0+$/u, '$1')
      .replace('.', '')
      .replace(/^0+/u, '');
    if (digits.length > MAX_EXACT_DIGITS)
      throw new ValueProblem(
        `${shown(value)} has ${digits.length} significant digits: a Notion number holds ${MAX_EXACT_DIGITS} exactly`,
      );
    return Number(value);
  }
  throw new ValueProblem(`${shown(value)} is not a number`);
}

function checkboxOf(value: unknown): boolean {
  // A checkbox has no empty state: NULL is unchecked.
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  throw new ValueProblem(`${shown(value)} is not true or false`);
}

function optionName(text: string): string {
  if (text.includes(','))
    throw new ValueProblem(`${shown(text)} holds a comma, which a Notion option name cannot`);
  if (text.length > MAX_OPTION_NAME)
    throw new ValueProblem(
      `is ${text.length} characters long: a Notion option name holds at most ${MAX_OPTION_NAME}`,
    );
  return text;
}

/** Several values: an array column's elements, or text split at `separator`; empty ones dropped. */
function itemsOf(value: unknown, separator: string, what: string): string[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value)
    ? (value as unknown[]).flatMap((item) => {
        const text = textOf(item);
        return text === undefined ? [] : [text.trim()];
      })
    : (textOf(value) ?? '').split(separator).map((item) => item.trim());
  const kept = items.filter((item) => item !== '');
  if (kept.length > MAX_ITEMS)
    throw new ValueProblem(`has ${kept.length} ${what}: Notion takes at most ${MAX_ITEMS} in a property`);
  return kept;
}

/** A Notion page id in its usual form (lower case, hyphenated); undefined for text that is none. */
export function pageIdOf(text: string, strict = true): string | undefined {
  const match = NOTION_ID.exec(text.trim());
  if (!match) {
    if (strict) throw new ValueProblem(`${shown(text)} is not a Notion page id`);
    return undefined;
  }
  return match.slice(1, 6).join('-').toLowerCase();
}

/**
 * A property value (as sent, or as Notion returns it) as the row value a person reads there:
 * text, a number, a date's start (or { start, end }), option names, page ids. Empty is null.
 */
export function readValue(type: NotionPropertyType, property: unknown): unknown {
  const inner =
    property !== null && typeof property === 'object'
      ? (property as Record<string, unknown>)[type]
      : undefined;
  switch (type) {
    case 'title':
    case 'rich_text': {
      const text = plainText(inner);
      return text === '' ? null : text;
    }
    case 'number':
      return typeof inner === 'number' ? inner : null;
    case 'date': {
      if (inner === null || typeof inner !== 'object') return null;
      const { start, end } = inner as { start?: unknown; end?: unknown };
      if (typeof start !== 'string') return null;
      return typeof end === 'string' ? { start, end } : start;
    }
    case 'select':
      return optionNameOf(inner) ?? null;
    case 'multi_select':
      return Array.isArray(inner) ? inner.map(optionNameOf).filter((name) => name !== undefined) : [];
    case 'checkbox':
      return inner === true;
    case 'email':
    case 'phone_number':
    case 'url':
      return typeof inner === 'string' && inner !== '' ? inner : null;
    case 'relation':
      return Array.isArray(inner)
        ? inner.flatMap((item: { id?: unknown }) =>
            typeof item.id === 'string' ? [pageIdOf(item.id, false) ?? item.id] : [],
          )
        : [];
  }
}

/** What a property value means, for comparing what we wrote with what Notion holds (its hash). */
export function valueMeaning(type: NotionPropertyType, property: unknown): unknown {
  if (type !== 'date') return readValue(type, property);
  const inner =
    property !== null && typeof property === 'object' ? (property as { date?: unknown }).date : undefined;
  return dateMeaning(inner);
}

function optionNameOf(option: unknown): string | undefined {
  if (option === null || typeof option !== 'object') return undefined;
  const name = (option as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
