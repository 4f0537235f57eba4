import type { ConflictPolicy, SinkConflict, SinkEvent } from '@cdc/core';
import type { RecordState } from './record.ts';

export type Resolution = SinkConflict['resolution'];

/** A target's change time: ms since the epoch as a number or digits, or a date-time text. */
export function changeTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a policy does with a conflicting event. */
export function resolve(
  policy: ConflictPolicy,
  event: SinkEvent,
  state: RecordState,
  timestampField: string | undefined,
): Resolution {
  switch (policy) {
    case 'source_wins':
      return 'source';
    case 'target_wins':
      return 'target';
    case 'manual':
      return 'held';
    case 'merge':
      // A deleted row has no fields left to merge into.
      return event.op === 'd' ? 'source' : 'merged';
    case 'newest_wins': {
      const field = timestampField === undefined ? undefined : state.target?.get(timestampField);
      const editedAt = changeTimeMs(field?.value);
      // An edit that says not when it happened cannot claim to be newer than a commit that does.
      return editedAt !== undefined && editedAt > event.commitTimeMs ? 'target' : 'source';
    }
  }
}

/** The row the event would write: its after image without the fields PostgreSQL did not send. */
export function sourceRow(event: SinkEvent): Record<string, unknown> | null {
  if (event.after === null) return null;
  if (event.unchanged.length === 0) return { ...event.after };
  const unchanged = new Set(event.unchanged);
  return Object.fromEntries(Object.entries(event.after).filter(([name]) => !unchanged.has(name)));
}
