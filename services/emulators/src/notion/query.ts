/**
 * Query a data source: filter, sorts, pagination. https://developers.notion.com/reference/query-a-data-source
 * and https://developers.notion.com/reference/intro#pagination (page_size at most 100, start_cursor from
 * the previous answer's next_cursor, has_more).
 */
import { invalid, unsupported } from './errors.ts';
import {
  dateInstant,
  optionNames,
  parseFilter,
  textOf,
  type FilterContext,
  type Predicate,
} from './filters.ts';
import { findProperty, type DateValue, type Page, type PropertyConfig } from './model.ts';
import { describe, isObject, limitedArray } from './rich-text.ts';
import { emptyValue } from './values.ts';

const MAX_PAGE_SIZE = 100;
const BODY_KEYS = new Set([
  'filter',
  'sorts',
  'start_cursor',
  'page_size',
  'in_trash',
  'archived',
  'result_type',
]);

type SortKey = string | number | null;
type Comparator = (a: Page, b: Page) => number;

function sortKey(config: PropertyConfig, page: Page, shownTime: (ms: number) => number): SortKey {
  const v = page.values.get(config.id) ?? emptyValue(config);
  switch (config.type) {
    case 'number':
      return v as number | null;
    case 'checkbox':
      return v === true ? 1 : 0;
    case 'date':
      return dateInstant(v as DateValue | null);
    case 'select':
    case 'multi_select': {
      // Notion orders select values by the option order of the schema, not alphabetically.
      const first = optionNames(config, page)[0];
      const index = config.options?.findIndex((o) => o.name === first) ?? -1;
      return index < 0 ? null : index;
    }
    case 'relation':
      return (v as string[]).length || null;
    case 'created_time':
      return shownTime(page.createdTime);
    case 'last_edited_time':
      return shownTime(page.lastEditedTime);
    case 'created_by':
      return page.createdBy;
    case 'last_edited_by':
      return page.lastEditedBy;
    default: {
      const text = textOf(config, page);
      return text === '' ? null : text;
    }
  }
}

/** Empty values sort last in either direction, as in Notion's views. */
function compareKeys(a: SortKey, b: SortKey, descending: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const c = a < b ? -1 : 1;
  return descending ? -c : c;
}

function parseSorts(raw: unknown, ctx: FilterContext): Comparator[] {
  if (raw === undefined) return [];
  return limitedArray(raw, 'body.sorts').map((s, i): Comparator => {
    const path = `body.sorts[${i}]`;
    if (!isObject(s)) throw invalid(`${path} should be an object, instead was ${describe(s)}.`);
    if (s.direction !== 'ascending' && s.direction !== 'descending')
      throw invalid(
        `${path}.direction should be "ascending" or "descending", instead was ${describe(s.direction)}.`,
      );
    const descending = s.direction === 'descending';
    if (s.timestamp !== undefined) {
      if (s.timestamp !== 'created_time' && s.timestamp !== 'last_edited_time')
        throw invalid(
          `${path}.timestamp should be "created_time" or "last_edited_time", instead was ${describe(s.timestamp)}.`,
        );
      const field = s.timestamp === 'created_time' ? 'createdTime' : 'lastEditedTime';
      return (a, b) => compareKeys(ctx.shownTime(a[field]), ctx.shownTime(b[field]), descending);
    }
    if (typeof s.property !== 'string')
      throw invalid(`${path}.property should be a string, instead was ${describe(s.property)}.`);
    const config = findProperty(ctx.source, s.property);
    if (!config) throw invalid(`Could not find sort property with name or id: ${s.property}`);
    return (a, b) =>
      compareKeys(sortKey(config, a, ctx.shownTime), sortKey(config, b, ctx.shownTime), descending);
  });
}

export interface QueryResult {
  readonly pages: Page[];
  readonly nextCursor: string | null;
}

export function runQuery(body: unknown, all: Page[], ctx: FilterContext): QueryResult {
  const b = body ?? {};
  if (!isObject(b)) throw invalid(`body should be an object, instead was ${describe(b)}.`);
  for (const key of Object.keys(b))
    if (!BODY_KEYS.has(key))
      throw invalid(`body.${key} should be not present, instead was ${describe(b[key])}.`);
  // The query's in_trash (archived: its deprecated alias) picks the pages whose own in_trash it
  // equals: false (the default) those in use, true those in the trash. The reference lists the
  // body parameter without saying more; this is our reading of it, as the page field's namesake.
  const trashed = b.in_trash === true || b.archived === true;
  if (b.result_type !== undefined && b.result_type !== 'page')
    throw unsupported(`body.result_type ${describe(b.result_type)}`);

  const pageSize = b.page_size ?? MAX_PAGE_SIZE;
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw invalid(
      `body.page_size should be an integer from 1 to ${MAX_PAGE_SIZE}, instead was ${describe(pageSize)}.`,
    );
  const matches: Predicate = b.filter === undefined ? () => true : parseFilter(b.filter, 'body.filter', ctx);
  const sorts = parseSorts(b.sorts, ctx);
  // Without sorts the order is creation order (the reference does not say); seq breaks every tie, so
  // the order is total and a cursor always has one place in it.
  const ordered = [...all].sort((x, y) => {
    for (const compare of sorts) {
      const c = compare(x, y);
      if (c !== 0) return c;
    }
    return x.seq - y.seq;
  });

  let from = 0;
  if (b.start_cursor !== undefined && b.start_cursor !== null) {
    // The cursor is the id of the first page of the next batch (as Notion's are). Locating it in the
    // whole ordered list, matching or not, keeps paging correct when that page changes in between.
    from = ordered.findIndex((p) => p.id === b.start_cursor);
    if (from < 0)
      throw invalid(
        `body.start_cursor should be a next_cursor from a previous answer of this query, instead was ${describe(b.start_cursor)}.`,
      );
  }
  const pages: Page[] = [];
  let nextCursor: string | null = null;
  for (let i = from; i < ordered.length; i++) {
    const page = ordered[i] as Page;
    if (page.inTrash !== trashed || !matches(page)) continue;
    if (pages.length === pageSize) {
      nextCursor = page.id;
      break;
    }
    pages.push(page);
  }
  return { pages, nextCursor };
}
