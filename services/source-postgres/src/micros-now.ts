/**
 * The wall clock in microseconds since the epoch. Date.now() stops at milliseconds; Debezium's
 * envelope carries microseconds (ts_us) of its processing and snapshot times.
 */
export function microsNow(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}
