import { CdcError } from '@cdc/core';
import { LAST_EDITED_TIME } from './conflicts.ts';
import type { SchemaProperty } from './notion-api.ts';
import { isNotFound } from './notion-failure.ts';
import { pageIdOf } from './property-values.ts';
import type { TableMapping } from './table-mapping.ts';

/** What start() learns of a data source: the type of the key property (a filter and a value name it). */
export interface TableTarget {
  readonly mapping: TableMapping;
  readonly keyType: 'title' | 'rich_text';
}

// Property types newest_wins can read a time from (conflicts.ts propertyTimeMs).
const TIME_TYPES = new Set([
  'date',
  'number',
  'last_edited_time',
  'created_time',
  'rich_text',
  'title',
  'formula',
]);

/**
 * Compares each data source's schema with the table's settings: every property the sink writes
 * must exist there with the mapped type, so that a mistake shows at start, named, rather than as
 * every row dead-lettered. All problems are listed at once.
 */
export async function checkDataSources(
  mappings: readonly TableMapping[],
  schemaOf: (dataSourceId: string) => Promise<Map<string, SchemaProperty>>,
  options: { readonly path: string; readonly timestampField: string | undefined },
): Promise<Map<string, TableTarget>> {
  const problems: string[] = [];
  const targets = new Map<string, TableTarget>();
  const byTable = new Map(mappings.map((mapping) => [mapping.table, mapping]));
  for (const mapping of mappings) {
    let schema: Map<string, SchemaProperty>;
    try {
      schema = await schemaOf(mapping.dataSourceId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      problems.push(
        `${mapping.path}.data_source_id: Notion has no data source ${mapping.dataSourceId} that the integration may see: ` +
          'share its database with the integration (••• > Connections), or correct the id (••• > Manage data sources > Copy data source ID)',
      );
      continue;
    }
    const have = (name: string) => schema.get(name)?.type;
    const expect = (setting: string, name: string, types: readonly string[]) => {
      const type = have(name);
      if (type === undefined)
        problems.push(
          `${setting}: the data source has no property ${JSON.stringify(name)} (it has ${[...schema.keys()].join(', ')}); ` +
            `add it as ${types.join(' or ')}, or correct the name`,
        );
      else if (!types.includes(type))
        problems.push(
          `${setting}: property ${JSON.stringify(name)} is ${type}, not ${types.join(' or ')}: change its type in Notion, or the mapping`,
        );
      return type;
    };
    const keyType = expect(`${mapping.path}.key_property`, mapping.keyProperty, ['title', 'rich_text']);
    expect(`${mapping.path}.sync_property`, mapping.syncProperty, ['rich_text']);
    for (const property of mapping.properties) {
      const setting = `${mapping.path}.properties.${property.name}`;
      expect(setting, property.name, [property.type]);
      const target = property.relationTable === undefined ? undefined : byTable.get(property.relationTable);
      const points = schema.get(property.name)?.relationDataSourceId;
      if (target && points !== undefined && pageIdOf(points, false) !== target.dataSourceId) {
        problems.push(
          `${setting}: the relation points at data source ${points}, but table ${target.table} is written to ${target.dataSourceId}: ` +
            'relate the property to that data source in Notion, or correct table',
        );
      }
    }
    const field = options.timestampField;
    if (field !== undefined && field !== LAST_EDITED_TIME) {
      const type = have(field);
      if (type === undefined || !TIME_TYPES.has(type))
        problems.push(
          `${options.path}.conflict.timestamp_field: ${type === undefined ? 'the data source has no property' : `a ${type} property holds no time:`} ` +
            `${JSON.stringify(field)} (${mapping.path}); name a date or last_edited_time property, or ${LAST_EDITED_TIME} (the page's own)`,
        );
    }
    if (keyType === 'title' || keyType === 'rich_text') targets.set(mapping.table, { mapping, keyType });
  }
  if (problems.length > 0) {
    throw new CdcError(
      'SINK_START_FAILED',
      `the Notion data sources of ${options.path} do not fit its settings:\n  ${problems.join('\n  ')}`,
      {
        retriable: false,
        fix: 'change the data sources in Notion or the settings listed above, then start the sink again',
        details: { problems },
      },
    );
  }
  return targets;
}
