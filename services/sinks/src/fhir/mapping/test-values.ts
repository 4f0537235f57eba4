/** Row values as the sink decodes them (docs/contracts.md, type mapping), for the tests. */

/** A `date` column: days since 1970-01-01. */
export function day(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 86_400_000;
}

/** A `timestamptz` column: microseconds since the epoch; `extra` adds microseconds below the ms. */
export function utcMicros(iso: string, extra = 0n): bigint {
  return BigInt(Date.parse(iso)) * 1000n + extra;
}

/** A `timestamp` column (no zone): the wall clock's microseconds, as if it were UTC. */
export function localMicros(wallClock: string): bigint {
  return BigInt(Date.parse(`${wallClock}Z`)) * 1000n;
}
