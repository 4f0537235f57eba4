import { keyPart, parseKeyTemplate as parseTemplate, type KeyTemplate, type SinkEvent } from '@cdc/core';

export type { KeyTemplate };

/** A row key template: placeholders name key columns, filled from the event key. */
export function parseKeyTemplate(source: string): KeyTemplate | string {
  return parseTemplate(source, {
    placeholder: 'a key column name',
    noField: "must reference at least one key field, such as 'patient:{id}' (else every row shares one key)",
  });
}

export type KeyResult = { readonly key: string } | { readonly reason: string };

/**
 * The fields of a message key that a template does not name. The one rule of the sink (which
 * refuses such an event) and of `cdc config check` (which refuses such a sink once the topic's
 * key schema is known): a template that leaves out a key field, `t:{id}` on a topic keyed by
 * (id, tenant) or by the whole row of a keyless table, gives rows that differ only in that field
 * one Redis record, so each write would overwrite another row and a delete remove it: data lost.
 * The default template (no `key:`) names every key field. (MongoDB sinks put every key field in
 * `_id`, so they are always determined by the key: mongo/document-id.ts.)
 */
export function unnamedKeyFields(template: KeyTemplate, keyFields: Iterable<string>): string[] {
  const unnamed: string[] = [];
  for (const field of keyFields) if (!template.fields.includes(field)) unnamed.push(field);
  return unnamed;
}

/** Why a sink cannot write records keyed this way through its template, and the fix. */
export function unnamedKeyFieldsReason(
  template: KeyTemplate,
  unnamed: readonly string[],
  of: string,
): string {
  const fields = unnamed.map((field) => `{${field}}`).join(', ');
  const example = `${template.source}${unnamed.map((field) => `:{${field}}`).join('')}`;
  return (
    `the sink's key '${template.source}' does not name the key field${unnamed.length > 1 ? 's' : ''} ` +
    `${fields} of ${of}, so rows that differ only there would share one Redis record; ` +
    `name every key field in key (such as '${example}'), or leave key out for <table>:<key values>`
  );
}

/** Fills a template from the event key; without a template: `<table>:<key values joined by :>`. */
export function recordKey(
  template: KeyTemplate | undefined,
  event: Pick<SinkEvent, 'key' | 'table' | 'topic'>,
): KeyResult {
  if (template) {
    const unnamed = unnamedKeyFields(template, Object.keys(event.key));
    if (unnamed.length > 0) {
      const reason = unnamedKeyFieldsReason(template, unnamed, `${event.table.schema}.${event.table.name}`);
      // Dead-lettered, so nothing is lost: redriven once the sink's key names every field.
      return { reason: `${reason}; then redrive the dead letters (cdc dlq redrive ${event.topic})` };
    }
  }
  const fields = template?.fields ?? Object.keys(event.key);
  if (fields.length === 0) {
    return {
      reason:
        `the event for ${event.table.schema}.${event.table.name} has no key fields, so it names no Redis key ` +
        '(a table without a primary key?); set key: to a template over columns that identify a row',
    };
  }
  const parts: string[] = [];
  for (const field of fields) {
    const part = keyPart(event.key[field]);
    if (part === undefined) {
      const known = Object.keys(event.key);
      return {
        reason:
          `the event key has no usable value for {${field}} of the key template ` +
          `${template ? `'${template.source}'` : '(default)'} (key fields: ${known.length > 0 ? known.join(', ') : 'none'})`,
      };
    }
    parts.push(part);
  }
  if (!template) return { key: `${event.table.name}:${parts.join(':')}` };
  let key = template.literals[0] as string;
  for (let i = 0; i < parts.length; i++) key += (parts[i] as string) + (template.literals[i + 1] as string);
  return { key };
}

/** The bookkeeping key of a record: its version, per-field digests and delete flag. */
export function bookkeepingKey(key: string): string {
  return `${key}:cdc`;
}
