import type { SinkRow } from '@cdc/core';
import type { StoredState } from './stored-document.ts';
import { valueHash } from '../value-hash.ts';

/**
 * Fields someone changed directly since our last write: their value no longer has the hash we
 * stored. A document we never wrote (no _cdc) conflicts where it holds another value than ours.
 */
export function changedFields(state: StoredState, incoming: SinkRow | null): string[] {
  if (!state.exists || state.deleted) return [];
  if (state.hashes === null) {
    if (!incoming) return [];
    return Object.keys(incoming)
      .filter((field) => Object.hasOwn(state.fields, field))
      .filter((field) => valueHash(state.fields[field]) !== valueHash(incoming[field]))
      .sort();
  }
  return Object.entries(state.hashes)
    .filter(([field, hash]) => valueHash(state.fields[field]) !== hash)
    .map(([field]) => field)
    .sort();
}

/** ms since the epoch from a number of ms, a Date, ISO text or a long. */
export function timeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * merge: a field keeps the target's direct edit unless the source changed it too since our last
 * write (its incoming value differs from the one we last wrote).
 */
export function mergedFields(incoming: SinkRow, state: StoredState, changed: readonly string[]): SinkRow {
  const kept = new Set(changed.filter((field) => state.hashes?.[field] === valueHash(incoming[field])));
  return Object.fromEntries(Object.entries(incoming).filter(([field]) => !kept.has(field)));
}
