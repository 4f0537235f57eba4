/**
 * Query filters. https://developers.notion.com/reference/filter-data-source-entries
 * Where the reference is silent we chose, and say so: text comparisons are exact (case-sensitive); a
 * negative condition (does_not_equal, does_not_contain) matches an empty value; a comparison
 * (greater_than, before, ...) never matches an empty value.
 */
import { invalid } from './errors.ts';
import { parseId } from './ids.ts';
import {
  findProperty,
  type DataSource,
  type DateValue,
  type Page,
  type PropertyConfig,
  type RichTextItem,
} from './model.ts';
import { describe, isObject, limitedArray, plainText } from './rich-text.ts';
import { emptyValue } from './values.ts';
import {
  checkboxCondition,
  listCondition,
  namesArg,
  numberCondition,
  selectCondition,
  stringArg,
  textCondition,
} from './conditions.ts';
import { dateCondition, dateInstant } from './date-condition.ts';

export { dateInstant } from './date-condition.ts';

export type Predicate = (page: Page) => boolean;

/** Times as the API shows them (the precision option may round them), so filters agree with responses. */
export interface FilterContext {
  readonly source: DataSource;
  readonly shownTime: (ms: number) => number;
  readonly now: number;
}

const MAX_COMPOUND_DEPTH = 2;

export function textOf(config: PropertyConfig, page: Page): string {
  const v = page.values.get(config.id) ?? emptyValue(config);
  if (config.type === 'title' || config.type === 'rich_text') return plainText(v as RichTextItem[]);
  return typeof v === 'string' ? v : '';
}

export function optionNames(config: PropertyConfig, page: Page): string[] {
  const v = page.values.get(config.id) ?? emptyValue(config);
  const ids = Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
  return ids.map((id) => config.options?.find((o) => o.id === id)?.name).filter((n) => n !== undefined);
}

function propertyFilter(raw: Record<string, unknown>, path: string, ctx: FilterContext): Predicate {
  const name = raw.property;
  if (typeof name !== 'string')
    throw invalid(`${path}.property should be a string, instead was ${describe(name)}.`);
  const config = findProperty(ctx.source, name);
  if (!config) throw invalid(`Could not find property with name or id: ${name}`);
  const keys = Object.keys(raw).filter((k) => k !== 'property' && k !== 'type');
  if (keys.length !== 1 || keys[0] !== config.type || (raw.type !== undefined && raw.type !== config.type))
    throw invalid(
      `${path} should filter ${name} with a ${config.type} condition (\`{ "property": ${JSON.stringify(name)}, "${config.type}": { ... } }\`), instead had ${describe(keys)}.`,
    );
  const condition = raw[config.type];
  const at = `${path}.${config.type}`;
  const value = (page: Page) => page.values.get(config.id) ?? emptyValue(config);
  switch (config.type) {
    case 'title':
    case 'rich_text':
    case 'email':
    case 'phone_number':
    case 'url': {
      const test = textCondition(condition, at);
      return (page) => test(textOf(config, page));
    }
    case 'number': {
      const test = numberCondition(condition, at);
      return (page) => test(value(page) as number | null);
    }
    case 'checkbox': {
      const test = checkboxCondition(condition, at);
      return (page) => test(value(page) === true);
    }
    case 'select': {
      const test = selectCondition(condition, at);
      return (page) => test(optionNames(config, page)[0] ?? null);
    }
    case 'multi_select': {
      const test = listCondition(condition, at, namesArg);
      return (page) => test(optionNames(config, page));
    }
    case 'relation': {
      const test = listCondition(condition, at, (arg, p) => [parseId(stringArg(arg, p), p)]);
      return (page) => test(value(page) as string[]);
    }
    case 'date': {
      const test = dateCondition(condition, at, ctx.now);
      return (page) => test(dateInstant(value(page) as DateValue | null));
    }
    case 'created_time':
    case 'last_edited_time': {
      const test = dateCondition(condition, at, ctx.now);
      const field = config.type === 'created_time' ? 'createdTime' : 'lastEditedTime';
      return (page) => test(ctx.shownTime(page[field]));
    }
    case 'created_by':
    case 'last_edited_by': {
      const test = listCondition(condition, at, (arg, p) => [parseId(stringArg(arg, p), p)]);
      return (page) => test([config.type === 'created_by' ? page.createdBy : page.lastEditedBy]);
    }
  }
}

function timestampFilter(raw: Record<string, unknown>, path: string, ctx: FilterContext): Predicate {
  const ts = raw.timestamp;
  if (ts !== 'created_time' && ts !== 'last_edited_time')
    throw invalid(
      `${path}.timestamp should be "created_time" or "last_edited_time", instead was ${describe(ts)}.`,
    );
  const test = dateCondition(raw[ts], `${path}.${ts}`, ctx.now);
  const field = ts === 'created_time' ? 'createdTime' : 'lastEditedTime';
  return (page) => test(ctx.shownTime(page[field]));
}

export function parseFilter(raw: unknown, path: string, ctx: FilterContext, depth = 0): Predicate {
  if (!isObject(raw)) throw invalid(`${path} should be an object, instead was ${describe(raw)}.`);
  for (const op of ['and', 'or'] as const) {
    if (raw[op] === undefined) continue;
    if (Object.keys(raw).length !== 1)
      throw invalid(
        `${path} should have only the key ${JSON.stringify(op)}, instead had ${describe(Object.keys(raw))}.`,
      );
    // "A compound filter object can be nested up to two levels deep" (filter-data-source-entries).
    if (depth >= MAX_COMPOUND_DEPTH)
      throw invalid(
        `${path}.${op}: compound filters can be nested at most ${MAX_COMPOUND_DEPTH} levels deep.`,
      );
    const parts = limitedArray(raw[op], `${path}.${op}`).map((f, i) =>
      parseFilter(f, `${path}.${op}[${i}]`, ctx, depth + 1),
    );
    return op === 'and' ? (page) => parts.every((p) => p(page)) : (page) => parts.some((p) => p(page));
  }
  if (raw.timestamp !== undefined) return timestampFilter(raw, path, ctx);
  return propertyFilter(raw, path, ctx);
}
