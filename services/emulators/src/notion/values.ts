/**
 * Page property values: requests checked against the data source schema, and the response form.
 * https://developers.notion.com/reference/page-property-values
 */
import { invalid } from './errors.ts';
import { parseId } from './ids.ts';
import {
  findProperty,
  type DataSource,
  type DateValue,
  type Page,
  type PropertyConfig,
  type SelectOption,
  type StoredValue,
  type Workspace,
} from './model.ts';
import { describe, isObject, LIMITS, limitedArray, richTextArray, stringAt } from './rich-text.ts';
import { optionFor, typeKeyOf } from './schema.ts';

/** A checked value; `apply` runs when the write happens (it may add select options to the schema). */
export interface PendingValue {
  readonly config: PropertyConfig;
  apply(): StoredValue;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function isIsoDate(value: string): boolean {
  return (DATE.test(value) || DATE_TIME.test(value)) && !Number.isNaN(Date.parse(value));
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function dateValue(value: unknown, path: string): DateValue | null {
  if (value === null) return null;
  if (!isObject(value)) throw invalid(`${path} should be an object or null, instead was ${describe(value)}.`);
  const start = stringAt(value.start, `${path}.start`);
  if (!isIsoDate(start))
    throw invalid(`${path}.start should be an ISO 8601 date or date-time, instead was ${describe(start)}.`);
  const end = value.end ?? null;
  if (end !== null && (typeof end !== 'string' || !isIsoDate(end)))
    throw invalid(
      `${path}.end should be an ISO 8601 date or date-time or null, instead was ${describe(end)}.`,
    );
  if (end !== null && Date.parse(end) < Date.parse(start))
    throw invalid(`${path}.end should not be before ${path}.start.`);
  const zone = value.time_zone ?? null;
  if (zone !== null && (typeof zone !== 'string' || !isTimeZone(zone)))
    throw invalid(
      `${path}.time_zone should be an IANA time zone name or null, instead was ${describe(zone)}.`,
    );
  return { start, end, time_zone: zone };
}

function nullableString(value: unknown, path: string, max: number): string | null {
  return value === null ? null : stringAt(value, path, max);
}

/** Resolves option references when the write happens, so two writers naming one new option share it. */
function resolveOptions(config: PropertyConfig, refs: ReturnType<typeof optionFor>[]): string[] {
  const options = config.options as SelectOption[];
  return refs.map((ref) => {
    if ('existing' in ref) return ref.existing.id;
    const now = options.find((o) => o.name === ref.create.name);
    if (now) return now.id;
    options.push(ref.create);
    return ref.create.id;
  });
}

function pendingValue(
  config: PropertyConfig,
  raw: unknown,
  path: string,
  workspace: Workspace,
): () => StoredValue {
  const p = `${path}.${config.type}`;
  switch (config.type) {
    case 'title':
    case 'rich_text': {
      const items = richTextArray(raw, p);
      return () => items;
    }
    case 'number': {
      if (raw !== null && (typeof raw !== 'number' || !Number.isFinite(raw)))
        throw invalid(`${p} should be a number or null, instead was ${describe(raw)}.`);
      return () => raw;
    }
    case 'checkbox': {
      if (typeof raw !== 'boolean') throw invalid(`${p} should be a boolean, instead was ${describe(raw)}.`);
      return () => raw;
    }
    case 'email': {
      const v = nullableString(raw, p, LIMITS.email);
      return () => v;
    }
    case 'phone_number': {
      const v = nullableString(raw, p, LIMITS.phone);
      return () => v;
    }
    case 'url': {
      const v = nullableString(raw, p, LIMITS.url);
      return () => v;
    }
    case 'date': {
      const v = dateValue(raw, p);
      return () => v;
    }
    case 'select': {
      if (raw === null) return () => null;
      if (!isObject(raw)) throw invalid(`${p} should be an object or null, instead was ${describe(raw)}.`);
      const ref = optionFor(config, raw, p);
      return () => resolveOptions(config, [ref])[0] ?? null;
    }
    case 'multi_select': {
      const refs = limitedArray(raw, p).map((item, i) => {
        if (!isObject(item)) throw invalid(`${p}[${i}] should be an object, instead was ${describe(item)}.`);
        return optionFor(config, item, `${p}[${i}]`);
      });
      return () => [...new Set(resolveOptions(config, refs))];
    }
    case 'relation': {
      const target = config.relation;
      const ids = limitedArray(raw, p).map((item, i) => {
        if (!isObject(item)) throw invalid(`${p}[${i}] should be an object, instead was ${describe(item)}.`);
        const id = parseId(stringAt(item.id, `${p}[${i}].id`), `${p}[${i}].id`);
        const page = workspace.pages.get(id);
        if (
          !page ||
          page.parent.type !== 'data_source_id' ||
          page.parent.dataSourceId !== target?.dataSourceId
        )
          throw invalid(
            `${p}[${i}].id ${describe(id)} is not a page of data source ${target?.dataSourceId ?? '?'}, which ${config.name} relates to.`,
          );
        return id;
      });
      return () => [...new Set(ids)];
    }
    default:
      throw invalid(`${path} is a ${config.type} property, which is computed by Notion and cannot be set.`);
  }
}

/**
 * `body.properties` of a create/update. `source` null: a page under a page or the workspace, whose only
 * property is its title.
 */
export function parseValues(
  source: DataSource | null,
  body: unknown,
  path: string,
  workspace: Workspace,
): PendingValue[] {
  if (body === undefined) return [];
  if (!isObject(body)) throw invalid(`${path} should be an object, instead was ${describe(body)}.`);
  const titleOnly: PropertyConfig = { id: 'title', name: 'title', type: 'title', description: null };
  return Object.entries(body).map(([name, raw]) => {
    const config = source ? findProperty(source, name) : name === 'title' ? titleOnly : undefined;
    if (!config) {
      const known = source ? source.properties.map((p) => p.name).join(', ') : 'title';
      throw invalid(`${name} is not a property that exists. Properties here: ${known}.`);
    }
    const at = `${path}.${name}`;
    if (!isObject(raw)) throw invalid(`${at} should be an object, instead was ${describe(raw)}.`);
    const key = typeKeyOf(raw, at, [config.type]);
    if (key !== config.type)
      throw invalid(`${name} is expected to be ${config.type}, instead was given ${key}.`);
    return { config, apply: pendingValue(config, raw[key], at, workspace) };
  });
}

export function emptyValue(config: PropertyConfig): StoredValue {
  switch (config.type) {
    case 'title':
    case 'rich_text':
    case 'multi_select':
    case 'relation':
      return [];
    case 'checkbox':
      return false;
    default:
      return null;
  }
}

/** https://developers.notion.com/reference/property-value-object: the page object lists at most 25 references. */
const PAGE_REFERENCE_LIMIT = 25;

export function renderValue(
  config: PropertyConfig,
  page: Page,
  formatTime: (ms: number) => string,
): Record<string, unknown> {
  const stored = page.values.get(config.id) ?? emptyValue(config);
  const out: Record<string, unknown> = { id: config.id, type: config.type };
  const optionById = (id: string) => {
    const o = config.options?.find((x) => x.id === id);
    return o ? { id: o.id, name: o.name, color: o.color } : null;
  };
  switch (config.type) {
    case 'select':
      out.select = typeof stored === 'string' ? optionById(stored) : null;
      break;
    case 'multi_select':
      out.multi_select = (stored as string[]).map(optionById).filter((o) => o !== null);
      break;
    case 'relation': {
      const ids = stored as string[];
      out.relation = ids.slice(0, PAGE_REFERENCE_LIMIT).map((id) => ({ id }));
      out.has_more = ids.length > PAGE_REFERENCE_LIMIT;
      break;
    }
    case 'created_time':
      out.created_time = formatTime(page.createdTime);
      break;
    case 'last_edited_time':
      out.last_edited_time = formatTime(page.lastEditedTime);
      break;
    case 'created_by':
      out.created_by = { object: 'user', id: page.createdBy };
      break;
    case 'last_edited_by':
      out.last_edited_by = { object: 'user', id: page.lastEditedBy };
      break;
    default:
      out[config.type] = stored;
  }
  return out;
}
