import { parseVersionText, versionText, type EventVersion } from '@cdc/core';
import { OUR_PREFIX, PROPERTY_VALUE_MAX } from './property-limits.ts';

/**
 * What the sink keeps in each event's private extended properties (docs/contracts.md,
 * Versions): our version (core's version text, whose string order is the version order), a mark
 * when the event is cancelled because its row was deleted, and a hash per row field it wrote (JSON
 * field -> hash, cut into values of Calendar's 1024 characters at most). Private properties: they
 * belong to this calendar's copy of the event, which attendees' copies do not show.
 */
export const VERSION_KEY = `${OUR_PREFIX}version`;
export const DELETED_KEY = `${OUR_PREFIX}deleted`;
export const HASHES_KEY = `${OUR_PREFIX}hashes`;
/** The sink's name, so that its events can be told from others' (privateExtendedProperty=cdc_sink=<name>). */
export const SINK_KEY = `${OUR_PREFIX}sink`;

type Properties = Readonly<Record<string, string>> | null | undefined;

/** The version the sink wrote the event with; undefined for one it never wrote (or edited into nonsense). */
export function storedVersion(properties: Properties): EventVersion | undefined {
  const text = properties?.[VERSION_KEY];
  if (text === undefined) return undefined;
  try {
    return parseVersionText(text);
  } catch {
    return undefined;
  }
}

/** Whether the sink cancelled the event because its row was deleted (a person cancelling it is not). */
export function isMarkedDeleted(properties: Properties): boolean {
  return properties?.[DELETED_KEY] === 'true';
}

const hashKey = (part: number) => (part === 0 ? HASHES_KEY : `${HASHES_KEY}_${part + 1}`);

/** The field hashes stored with the event; undefined when there are none (or they were edited). */
export function storedHashes(properties: Properties): Readonly<Record<string, string>> | undefined {
  let text = '';
  for (let part = 0; properties?.[hashKey(part)] !== undefined; part += 1) text += properties[hashKey(part)];
  if (text === '') return undefined;
  try {
    const hashes = JSON.parse(text) as unknown;
    if (!hashes || typeof hashes !== 'object' || Array.isArray(hashes)) return undefined;
    return Object.values(hashes).every((hash) => typeof hash === 'string')
      ? (hashes as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface Bookkeeping {
  readonly sink: string;
  readonly version: EventVersion;
  readonly deleted: boolean;
  readonly hashes: Readonly<Record<string, string>>;
}

/** The private properties `others` (the template's, a person's) with ours instead of any held before. */
export function withBookkeeping(others: Properties, ours: Bookkeeping): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(others ?? {})) {
    if (!key.startsWith(OUR_PREFIX)) properties[key] = value;
  }
  properties[SINK_KEY] = ours.sink;
  properties[VERSION_KEY] = versionText(ours.version);
  if (ours.deleted) properties[DELETED_KEY] = 'true';
  const text = JSON.stringify(ours.hashes);
  for (let at = 0, part = 0; at < text.length; at += PROPERTY_VALUE_MAX, part += 1) {
    properties[hashKey(part)] = text.slice(at, at + PROPERTY_VALUE_MAX);
  }
  return properties;
}
