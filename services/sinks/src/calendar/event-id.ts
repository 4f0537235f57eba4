import { createHash } from 'node:crypto';
import type { SinkRow } from '@cdc/core';
import { canonicalValue } from '../value-hash.ts';

/**
 * The id of a row's event, chosen by the sink so that an insert is idempotent: Calendar refuses a
 * second insert of an id (409), even of a cancelled event, and the sink then reads what is there.
 * Calendar ids are base32hex (a-v and 0-9), 5 to 1024 characters
 * (https://developers.google.com/workspace/calendar/api/v3/reference/events/insert, `id`): a
 * SHA-256 of the sink's name, the table and the key, in base32hex, is 52 of them. The sink's name
 * is in it so that two sinks writing one calendar never share events.
 */

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** RFC 4648 §7 base32hex, lower case, without padding. */
export function base32hex(bytes: Uint8Array): string {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += BASE32HEX[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) text += BASE32HEX[(buffer << (5 - bits)) & 31];
  return text;
}

/** The event id of a row: the same for the same sink, table and key, whatever the order of key fields. */
export function eventIdOf(sink: string, table: string, key: SinkRow): string {
  const digest = createHash('sha256')
    .update(`${sink}\u0000${table}\u0000${canonicalValue(key)}`)
    .digest();
  return base32hex(digest);
}

/** Whether Calendar takes `id` as an event id it was given. */
export function isEventId(id: string): boolean {
  return /^[a-v0-9]{5,1024}$/u.test(id);
}
