import { CdcError, type SinkRow } from '@cdc/core';
import { canonicalValue } from '../value-hash.ts';
import type { FhirClient } from './fhir-client.ts';
import type { FhirResource, ResourceMapping } from './mapping/index.ts';
import { isMarkedDeleted, withoutSourceVersion } from './source-version.ts';

/**
 * What `cdc sink verify` compares for a FHIR sink: each live resource of a table's mapping (its
 * identifier system; those marked deleted left out) against each source row as the mapping
 * makes it. Both sides become the same record, one text per top-level element, so that the
 * comparison does not depend on how the server orders what it returns: object keys sorted,
 * extensions by url.
 */
export async function* scanResources(
  client: FhirClient,
  mapping: ResourceMapping,
): AsyncIterable<{ key: SinkRow; row: SinkRow }> {
  for await (const held of client.searchSystem(mapping.resourceType, mapping.identifierSystem)) {
    if (isMarkedDeleted(held)) continue;
    const identifiers = (held.identifier as { system?: string; value?: string }[] | undefined) ?? [];
    const value = identifiers.find((identifier) => identifier.system === mapping.identifierSystem)?.value;
    const key = value === undefined ? undefined : mapping.keyOfIdentifier(value);
    if (key) yield { key, row: comparable(held) };
  }
}

/** A source row as the sink writes it, in the form scanResources reads the server's. */
export function projectRow(mapping: ResourceMapping, row: SinkRow, key: SinkRow): SinkRow {
  const mapped = mapping.map(row, key, []);
  // A row that cannot map was dead-lettered: the server must not hold it, verify says so.
  if ('reason' in mapped) return { unmappable: mapped.reason };
  return comparable(mapped.resource);
}

/** The mapping of a source table. */
export function mappingOfTable(
  mappings: ReadonlyMap<string, ResourceMapping>,
  table: { readonly schema: string; readonly name: string },
): ResourceMapping {
  const name = `${table.schema}.${table.name}`;
  const mapping = mappings.get(name);
  if (!mapping) {
    throw new CdcError('NOT_VERIFIABLE', `this sink has no resource mapping for ${name}`, {
      fix: `verify a table the sink maps (resources.${name})`,
    });
  }
  return mapping;
}

function comparable(resource: FhirResource): SinkRow {
  const row: Record<string, unknown> = {};
  for (const [element, value] of Object.entries(withoutSourceVersion(resource))) {
    if (element === 'id' || element === 'meta' || element === 'resourceType') continue;
    row[element] = canonicalValue(element === 'extension' ? byUrl(value) : value);
  }
  return row;
}

function byUrl(extensions: unknown): unknown {
  if (!Array.isArray(extensions)) return extensions;
  return [...(extensions as { url?: string }[])].sort((a, b) => String(a.url).localeCompare(String(b.url)));
}
