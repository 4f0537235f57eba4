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

/**
 * Present (valueBoolean true) on a resource whose row was deleted: what `on_delete` sets can also
 * be a live row's value (an Immunization entered in error), and verify must tell them apart.
 */
export const SOURCE_DELETED_URL = 'urn:cdc:fhir:source-deleted';

/**
 * What the sink last wrote, a hash per row field it can read back (valueString: JSON of field ->
 * hash): a field whose value at the server hashes otherwise was changed by someone else.
 */
export const SOURCE_HASHES_URL = 'urn:cdc:fhir:source-hashes';

const OURS = new Set([SOURCE_VERSION_URL, SOURCE_DELETED_URL, SOURCE_HASHES_URL]);

/** The field hashes the sink stored with a resource; undefined for one written without them. */
export function storedHashes(resource: FhirResource): Readonly<Record<string, string>> | undefined {
  const ours = Array.isArray(resource.extension)
    ? (resource.extension as Extension[]).find((extension) => extension.url === SOURCE_HASHES_URL)
    : undefined;
  if (typeof ours?.valueString !== 'string') return undefined;
  try {
    const hashes = JSON.parse(ours.valueString) as unknown;
    return hashes && typeof hashes === 'object' ? (hashes as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

interface Extension {
  readonly url?: unknown;
  readonly valueString?: unknown;
  readonly valueBoolean?: unknown;
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

/** The resource with our version as its (only) source-version extension, last, and the delete mark if deleted. */
export function withSourceVersion(
  resource: FhirResource,
  version: EventVersion,
  deleted = false,
  hashes?: Readonly<Record<string, string>>,
): FhirResource {
  const ours: Extension[] = [{ url: SOURCE_VERSION_URL, valueString: versionText(version) }];
  if (deleted) ours.push({ url: SOURCE_DELETED_URL, valueBoolean: true });
  if (hashes) ours.push({ url: SOURCE_HASHES_URL, valueString: JSON.stringify(hashes) });
  return { ...resource, extension: [...othersOf(resource), ...ours] };
}

/** Whether the sink marked the resource as its row's delete. */
export function isMarkedDeleted(resource: FhirResource): boolean {
  return (
    Array.isArray(resource.extension) &&
    (resource.extension as Extension[]).some((extension) => extension.url === SOURCE_DELETED_URL)
  );
}

/** The resource without our extensions (what a reader of the server sees as data). */
export function withoutSourceVersion(resource: FhirResource): FhirResource {
  if (!Array.isArray(resource.extension)) return resource;
  const others = othersOf(resource);
  const data: Record<string, unknown> = { ...resource };
  if (others.length > 0) data.extension = others;
  else delete data.extension;
  return data as FhirResource;
}

function othersOf(resource: FhirResource): Extension[] {
  if (!Array.isArray(resource.extension)) return [];
  return (resource.extension as Extension[]).filter(
    (extension) => typeof extension.url !== 'string' || !OURS.has(extension.url),
  );
}
