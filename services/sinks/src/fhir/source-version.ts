import { parseVersionText, versionText, type EventVersion } from '@cdc/core';
import type { FhirResource } from './mapping/index.ts';

/**
 * Our event version travels with each resource as an extension (docs/contracts.md, Versions), so
 * that the sink can tell, before it writes, whether the server holds this change or a newer one.
 * An extension and not a `meta.tag`: servers carry tags forward across updates (HAPI does), so
 * every version ever written would pile up; an extension is content, replaced with each update.
 * The value is core's fixed-width version text, whose string order is the version order.
 */
export const SOURCE_VERSION_URL = 'urn:cdc:fhir:source-version';

interface Extension {
  readonly url?: unknown;
  readonly valueString?: unknown;
}

/** The version a resource on the server was written with; undefined for one we never wrote. */
export function sourceVersionOf(resource: FhirResource): EventVersion | undefined {
  const extensions = resource.extension;
  if (!Array.isArray(extensions)) return undefined;
  const ours = (extensions as Extension[]).find((extension) => extension.url === SOURCE_VERSION_URL);
  if (typeof ours?.valueString !== 'string') return undefined;
  try {
    return parseVersionText(ours.valueString);
  } catch {
    return undefined; // edited by hand into something else: as if we never wrote it
  }
}

/** The resource with our version as its (only) source-version extension, last. */
export function withSourceVersion(resource: FhirResource, version: EventVersion): FhirResource {
  const others = Array.isArray(resource.extension)
    ? (resource.extension as Extension[]).filter((extension) => extension.url !== SOURCE_VERSION_URL)
    : [];
  return {
    ...resource,
    extension: [...others, { url: SOURCE_VERSION_URL, valueString: versionText(version) }],
  };
}

/** The resource without our extension (what a reader of the server sees as data). */
export function withoutSourceVersion(resource: FhirResource): FhirResource {
  if (!Array.isArray(resource.extension)) return resource;
  const others = (resource.extension as Extension[]).filter(
    (extension) => extension.url !== SOURCE_VERSION_URL,
  );
  const data: Record<string, unknown> = { ...resource };
  if (others.length > 0) data.extension = others;
  else delete data.extension;
  return data as FhirResource;
}
