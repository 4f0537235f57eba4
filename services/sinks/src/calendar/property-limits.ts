/**
 * Calendar's documented limits on extended properties
 * (https://developers.google.com/workspace/calendar/api/guides/extended-properties, Limits):
 * a key longer than 44 characters is dropped without a word, so the sink refuses it first; a
 * value holds at most 1024 characters (Calendar cuts the rest off); all properties of an event
 * together at most 32 kB of keys and values, and at most 300 of them.
 */
export const PROPERTY_KEY_MAX = 44;
export const PROPERTY_VALUE_MAX = 1024;
export const PROPERTIES_TOTAL_MAX = 32 * 1024;
export const PROPERTIES_COUNT_MAX = 300;

/** Private property keys of the sink's own bookkeeping (bookkeeping.ts) start with this. */
export const OUR_PREFIX = 'cdc_';

export interface ExtendedProperties {
  readonly private?: Readonly<Record<string, string>> | null | undefined;
  readonly shared?: Readonly<Record<string, string>> | null | undefined;
}

/** What breaks a documented limit, in words naming the property; undefined when all is within them. */
export function propertiesProblem(properties: ExtendedProperties): string | undefined {
  let total = 0;
  let count = 0;
  for (const which of ['private', 'shared'] as const) {
    for (const [key, value] of Object.entries(properties[which] ?? {})) {
      count += 1;
      total += Buffer.byteLength(key) + Buffer.byteLength(value);
      if (key.length > PROPERTY_KEY_MAX) {
        return `the ${which} extended property ${key} has a key longer than ${PROPERTY_KEY_MAX} characters, which Calendar drops`;
      }
      if (value.length > PROPERTY_VALUE_MAX) {
        return (
          `the ${which} extended property ${key} is ${value.length} characters long; ` +
          `Calendar keeps at most ${PROPERTY_VALUE_MAX}`
        );
      }
    }
  }
  if (count > PROPERTIES_COUNT_MAX) {
    return `the event has ${count} extended properties; Calendar keeps at most ${PROPERTIES_COUNT_MAX}`;
  }
  if (total > PROPERTIES_TOTAL_MAX) {
    return `the event's extended properties hold ${total} bytes of keys and values; Calendar keeps at most ${PROPERTIES_TOTAL_MAX}`;
  }
  return undefined;
}
