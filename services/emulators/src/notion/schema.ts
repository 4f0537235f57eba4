/**
 * Data source schemas: property configuration requests (create a database's `initial_data_source`) and
 * their response form. https://developers.notion.com/reference/property-object
 */
import { invalid, unsupported } from './errors.ts';
import { newId, newPropertyId } from './ids.ts';
import {
  SELECT_COLORS,
  type PropertyConfig,
  type PropertyType,
  type SelectColor,
  type SelectOption,
  type Workspace,
} from './model.ts';
import { describe, isObject, limitedArray, stringAt } from './rich-text.ts';

const SUPPORTED: readonly PropertyType[] = [
  'title',
  'rich_text',
  'number',
  'select',
  'multi_select',
  'date',
  'checkbox',
  'email',
  'phone_number',
  'url',
  'relation',
  'created_time',
  'last_edited_time',
  'created_by',
  'last_edited_by',
];
/** Types Notion has that the emulator does not model: asked for, they are a clear 400, not a silent drop. */
const KNOWN_UNSUPPORTED = [
  'status',
  'people',
  'files',
  'formula',
  'rollup',
  'unique_id',
  'button',
  'verification',
  'place',
  'location',
  'last_visited_time',
];

function selectOption(value: unknown, path: string, taken: Set<string>): SelectOption {
  if (!isObject(value)) throw invalid(`${path} should be an object, instead was ${describe(value)}.`);
  const name = stringAt(value.name, `${path}.name`, 100);
  // https://developers.notion.com/reference/property-object#select: commas are not valid in option names.
  if (name.includes(','))
    throw invalid(`${path}.name should not contain commas, instead was ${describe(name)}.`);
  if (taken.has(name)) throw invalid(`${path}.name ${describe(name)} is a duplicate option name.`);
  taken.add(name);
  const color = value.color ?? 'default';
  if (!(SELECT_COLORS as readonly unknown[]).includes(color))
    throw invalid(
      `${path}.color should be one of ${SELECT_COLORS.join(', ')}, instead was ${describe(color)}.`,
    );
  const description = value.description ?? null;
  if (description !== null && typeof description !== 'string')
    throw invalid(`${path}.description should be a string or null, instead was ${describe(description)}.`);
  return { id: newId(), name, color: color as SelectColor, description };
}

/** The property's type: the one key naming a type (and `type`, when given, must agree). */
export function typeKeyOf(value: Record<string, unknown>, path: string, allowed: readonly string[]): string {
  const keys = Object.keys(value).filter(
    (k) => k !== 'type' && k !== 'description' && k !== 'id' && k !== 'name',
  );
  if (keys.length !== 1)
    throw invalid(
      `${path} should have exactly one property type key (${allowed.slice(0, 11).join(', ')}, ...), instead had ${describe(keys)}.`,
    );
  const key = keys[0] as string;
  if (value.type !== undefined && value.type !== key)
    throw invalid(
      `${path}.type should be ${describe(key)} to match its value, instead was ${describe(value.type)}.`,
    );
  return key;
}

function propertyConfig(name: string, value: unknown, path: string, workspace: Workspace): PropertyConfig {
  if (!isObject(value)) throw invalid(`${path} should be an object, instead was ${describe(value)}.`);
  const key = typeKeyOf(value, path, SUPPORTED);
  if (KNOWN_UNSUPPORTED.includes(key)) throw unsupported(`${path}: property type ${describe(key)}`);
  if (!(SUPPORTED as readonly string[]).includes(key))
    throw invalid(`${path}.${key} is not a property type: use one of ${SUPPORTED.join(', ')}.`);
  const type = key as PropertyType;
  const config = value[key];
  if (!isObject(config))
    throw invalid(`${path}.${key} should be an object, instead was ${describe(config)}.`);
  const description = value.description ?? null;
  if (description !== null && typeof description !== 'string')
    throw invalid(`${path}.description should be a string or null, instead was ${describe(description)}.`);
  // Notion gives every title property the id "title" (https://developers.notion.com/reference/property-object).
  const base = { id: type === 'title' ? 'title' : newPropertyId(), name, type, description };
  switch (type) {
    case 'number': {
      const format = config.format ?? 'number';
      return { ...base, format: stringAt(format, `${path}.number.format`) };
    }
    case 'select':
    case 'multi_select': {
      const taken = new Set<string>();
      const options =
        config.options === undefined
          ? []
          : limitedArray(config.options, `${path}.${key}.options`).map((o, i) =>
              selectOption(o, `${path}.${key}.options[${i}]`, taken),
            );
      return { ...base, options };
    }
    case 'relation': {
      if (config.dual_property !== undefined || config.type === 'dual_property')
        throw unsupported(`${path}.relation.dual_property (two-way relations)`);
      const id = stringAt(config.data_source_id, `${path}.relation.data_source_id`);
      const target = workspace.dataSources.get(id);
      if (!target)
        throw invalid(`${path}.relation.data_source_id ${describe(id)} is not a data source that exists.`);
      return { ...base, relation: { dataSourceId: target.id, databaseId: target.databaseId } };
    }
    default:
      return base;
  }
}

/** `initial_data_source.properties` -> configs; exactly one title property, as every Notion data source has. */
export function parseSchema(value: unknown, path: string, workspace: Workspace): PropertyConfig[] {
  if (value === undefined) return [{ id: 'title', name: 'Name', type: 'title', description: null }];
  if (!isObject(value)) throw invalid(`${path} should be an object, instead was ${describe(value)}.`);
  const configs = Object.entries(value).map(([name, v]) =>
    propertyConfig(name, v, `${path}.${name}`, workspace),
  );
  const titles = configs.filter((c) => c.type === 'title').length;
  if (titles !== 1) throw invalid(`${path} should have exactly one title property, instead had ${titles}.`);
  return configs;
}

export function renderConfig(config: PropertyConfig): Record<string, unknown> {
  let inner: Record<string, unknown> = {};
  if (config.type === 'number') inner = { format: config.format };
  else if (config.type === 'select' || config.type === 'multi_select') inner = { options: config.options };
  else if (config.type === 'relation' && config.relation)
    inner = {
      database_id: config.relation.databaseId,
      data_source_id: config.relation.dataSourceId,
      type: 'single_property',
      single_property: {},
    };
  return {
    id: config.id,
    name: config.name,
    description: config.description,
    type: config.type,
    [config.type]: inner,
  };
}

/** A select/multi_select option by id, or by name (created when missing, as Notion does for writers). */
export function optionFor(
  config: PropertyConfig,
  value: Record<string, unknown>,
  path: string,
): { existing: SelectOption } | { create: SelectOption } {
  const options = config.options ?? [];
  if (value.id !== undefined) {
    const id = stringAt(value.id, `${path}.id`);
    const found = options.find((o) => o.id === id);
    if (!found) throw invalid(`${path}.id ${describe(id)} is not an option of ${config.name}.`);
    if (value.name !== undefined && value.name !== found.name)
      throw invalid(`${path}.name ${describe(value.name)} does not match option id ${describe(id)}.`);
    return { existing: found };
  }
  const name = stringAt(value.name, `${path}.name`, 100);
  const found = options.find((o) => o.name === name);
  if (found) return { existing: found };
  // https://developers.notion.com/reference/page-property-values#select: commas are not valid in select values.
  if (name.includes(','))
    throw invalid(`${path}.name should not contain commas, instead was ${describe(name)}.`);
  const color = value.color ?? 'default';
  if (!(SELECT_COLORS as readonly unknown[]).includes(color))
    throw invalid(
      `${path}.color should be one of ${SELECT_COLORS.join(', ')}, instead was ${describe(color)}.`,
    );
  return { create: { id: newId(), name, color: color as SelectColor, description: null } };
}
