/**
 * A row of a change event (`before` or `after`) as avsc decodes it under `avroOptions`
 * (@cdc/core): int/float/double -> number, long -> bigint, decimal -> exact string, date -> int
 * (days since 1970-01-01), time-micros / timestamp-micros / local-timestamp-micros -> bigint
 * microseconds, uuid/string/enum -> string, bytes -> Buffer, arrays -> arrays, SQL NULL -> null.
 */
export type Row = Record<string, unknown>;

/** Where a problem with one event was found, as recorded in its dead letter. */
export interface Violation {
  /** The rule or step that refused the event, e.g. `format`, `range`, `check`, `transform:mask`. */
  readonly rule: string;
  /** The field concerned, or null for rules about the whole row. */
  readonly field: string | null;
  readonly message: string;
}
