/**
 * A row of a change event (`before` or `after`) as avsc decodes it under `avroOptions`
 * (@cdc/core): int/float/double -> number, long -> bigint, decimal -> exact string, date -> int
 * (days since 1970-01-01), time-micros / timestamp-micros / local-timestamp-micros -> bigint
 * microseconds, uuid/string/enum -> string, bytes -> Buffer, arrays -> arrays, SQL NULL -> null.
 */
export type Row = Record<string, unknown>;

/**
 * Where a problem with one event was found, as recorded in its dead letter: the rule or step
 * that refused it (`format`, `check`, `transform:mask`, `decode`), the field or null, and for
 * problems with the bytes of the key or value, which part and its schema id. One definition for
 * processors and sinks: DeadLetterReason in @cdc/core.
 */
export type { DeadLetterReason as Violation } from '@cdc/core';
