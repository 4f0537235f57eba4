import { keyPart, parseKeyTemplate, type KeyTemplate, type SinkRow } from '@cdc/core';
import { ValueProblem } from '../fhir/mapping/value-problem.ts';
import type { NotionTableConfig } from './config.ts';
import { compileProperty, pageIdOf, type CompiledProperty, type PropertyIntent } from './property-values.ts';

/** One source table's mapping to a data source, compiled once. */
export interface TableMapping {
  /** `<schema>.<table>`. */
  readonly table: string;
  /** Where the settings are (`sinks[0].tables.public.patients`), for messages. */
  readonly path: string;
  readonly dataSourceId: string;
  readonly keyProperty: string;
  readonly syncProperty: string;
  readonly properties: readonly CompiledProperty[];
  /** The row key as the key property's text. */
  keyOf(key: SinkRow): { readonly value: string } | { readonly reason: string };
  /**
   * The row's property values, by property name. A property made of a field PostgreSQL did not
   * send (unchanged TOAST) is left out: the page keeps what it holds.
   */
  map(
    row: SinkRow,
    unchanged: readonly string[],
  ): { readonly values: Map<string, PropertyIntent> } | { readonly reason: string };
}

export function compileTableMapping(table: string, config: NotionTableConfig, path: string): TableMapping {
  const key = parseKeyTemplate(config.key, { placeholder: 'a key field', noField: 'names no key field' });
  // The settings were validated already (config.ts).
  if (typeof key === 'string') throw new Error(`${path}.key: ${key}`);
  const properties = Object.entries(config.properties).map(([name, property]) =>
    compileProperty(name, property),
  );
  return {
    table,
    path,
    // As Notion writes ids (parents, relations): lower case with hyphens.
    dataSourceId: pageIdOf(config.data_source_id) as string,
    keyProperty: config.key_property,
    syncProperty: config.sync_property,
    properties,
    keyOf: (row) => keyText(key, row, `${path}.key`),
    map: (row, unchanged) => {
      const values = new Map<string, PropertyIntent>();
      for (const property of properties) {
        if (property.fields.some((field) => unchanged.includes(field))) continue;
        try {
          values.set(property.name, property.value(row));
        } catch (error) {
          if (!(error instanceof ValueProblem)) throw error;
          const fields = property.fields.join(', ');
          return {
            reason: `${path}.properties.${property.name} (field ${fields}): the value ${error.message}`,
          };
        }
      }
      return { values };
    },
  };
}

function keyText(
  template: KeyTemplate,
  key: SinkRow,
  setting: string,
): { value: string } | { reason: string } {
  let text = template.literals[0] ?? '';
  for (const [i, field] of template.fields.entries()) {
    if (!Object.hasOwn(key, field)) {
      const fields = Object.keys(key).join(', ') || 'none';
      return { reason: `the key has no field ${field} (its fields: ${fields}), which ${setting} names` };
    }
    const part = keyPart(key[field]);
    if (part === undefined)
      return { reason: `key field ${field} has no value to make the text of ${setting} with` };
    text += part + (template.literals[i + 1] ?? '');
  }
  return { value: text };
}

/**
 * The order the tables of a batch are written in: a table whose relations point at rows of
 * another comes after it (its level is higher), so the related pages of the same batch exist
 * when its relations are resolved. Within a cycle (tables relating to each other) some order is
 * taken, and a relation to a row of the same batch written after it fails (it can be redriven).
 */
export function tableLevels(mappings: readonly TableMapping[]): Map<string, number> {
  const byTable = new Map(mappings.map((mapping) => [mapping.table, mapping]));
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (table: string): number => {
    const known = levels.get(table);
    if (known !== undefined) return known;
    if (visiting.has(table)) return 0; // a cycle: no order to keep within it
    visiting.add(table);
    let result = 0;
    for (const property of byTable.get(table)?.properties ?? []) {
      const other = property.relationTable;
      if (other !== undefined && other !== table && byTable.has(other))
        result = Math.max(result, level(other) + 1);
    }
    visiting.delete(table);
    levels.set(table, result);
    return result;
  };
  for (const mapping of mappings) level(mapping.table);
  return levels;
}
