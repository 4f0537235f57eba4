import type { Redis } from 'ioredis';
import { CdcError, type SinkRow } from '@cdc/core';
import type { KeyTemplate } from './key-template.ts';
import { hashText, jsonValue, parseJsonDocument } from './values.ts';

/**
 * What `cdc sink verify` compares with the source table: the live records under the sink's key
 * template (delete markers and bookkeeping excluded), and a source row as the sink writes it.
 */

const GLOB_SPECIAL = /[*?[\]\\]/g;
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;
const PAGE = 500;

export async function* scanRecords(
  redis: Redis,
  template: KeyTemplate | undefined,
  format: 'hash' | 'json',
): AsyncIterable<{ key: SinkRow; row: SinkRow }> {
  if (!template) {
    throw new CdcError(
      'NOT_VERIFIABLE',
      'the default key names no key columns, so records cannot be matched',
      {
        fix: "set key: to a template such as 'patient:{id}' to verify this sink",
      },
    );
  }
  const pattern = template.literals.map((text) => text.replace(GLOB_SPECIAL, '\\$&')).join('*');
  const parse = new RegExp(
    `^${template.literals.map((text) => text.replace(REGEX_SPECIAL, '\\$&')).join('(.*?)')}$`,
  );
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', PAGE);
    cursor = next;
    const keys = found.filter((key) => !key.endsWith(':cdc'));
    const pipeline = redis.pipeline();
    for (const key of keys) {
      if (format === 'hash') pipeline.hgetall(key);
      else pipeline.get(key);
    }
    const replies = keys.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    for (const [i, key] of keys.entries()) {
      const [error, reply] = replies[i] ?? [];
      if (error) throw error;
      const row = rowOf(reply, format);
      const values = parse.exec(key);
      if (row === null || !values) continue; // deleted meanwhile, or not a key of this template
      yield { key: Object.fromEntries(template.fields.map((field, f) => [field, values[f + 1]])), row };
    }
  } while (cursor !== '0');
}

function rowOf(reply: unknown, format: 'hash' | 'json'): SinkRow | null {
  if (format === 'hash') {
    const fields = reply as Record<string, string>;
    return Object.keys(fields).length > 0 ? fields : null;
  }
  return reply === null ? null : (parseJsonDocument(reply as string) as SinkRow);
}

/** A source row as the sink stores it. */
export function projectRow(row: SinkRow, format: 'hash' | 'json'): SinkRow {
  const encode = format === 'hash' ? hashText : jsonValue;
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, encode(value)]));
}
