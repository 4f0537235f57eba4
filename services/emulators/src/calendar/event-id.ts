/**
 * Event ids, as events.insert documents them
 * (https://developers.google.com/workspace/calendar/api/v3/reference/events/insert, the `id` field):
 * "characters allowed in the ID are those used in base32hex encoding, i.e. lowercase letters a-v and
 * digits 0-9 ... the length of the ID must be between 5 and 1024 characters".
 */
import { randomInt } from 'node:crypto';
import { errors } from './errors.ts';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
const VALID = /^[0-9a-v]{5,1024}$/;

export function checkEventId(id: unknown): string {
  if (typeof id !== 'string' || !VALID.test(id))
    // Google answers "Invalid resource id value."; the rule is added so the caller can fix the id.
    throw errors.invalid(
      'Invalid resource id value. Event ids are 5-1024 characters of base32hex: lowercase a-v and digits 0-9.',
    );
  return id;
}

/** Server-chosen ids: 26 base32hex characters, the length Google's own ids have. */
export function newEventId(): string {
  let id = '';
  for (let i = 0; i < 26; i++) id += BASE32HEX[randomInt(32)];
  return id;
}
