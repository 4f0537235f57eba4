import { randomBytes, randomUUID } from 'node:crypto';
import { invalid } from './errors.ts';

const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_PLAIN = /^[0-9a-f]{32}$/i;

/** Notion takes ids with or without dashes (the form in notion.so URLs); we store the dashed lower-case form. */
export function parseId(raw: string, field: string): string {
  if (UUID_DASHED.test(raw)) return raw.toLowerCase();
  if (UUID_PLAIN.test(raw)) {
    const h = raw.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  throw invalid(`${field} should be a valid uuid, instead was \`${JSON.stringify(raw)}\`.`);
}

export const newId = (): string => randomUUID();

/** Property ids are short random strings in Notion; ours are URL-safe so clients need not encode them. */
export function newPropertyId(): string {
  return randomBytes(3).toString('base64url').slice(0, 4);
}

export const notionUrl = (id: string): string => `https://www.notion.so/${id.replaceAll('-', '')}`;
