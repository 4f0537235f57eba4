import type { SinkEvent } from '@cdc/core';
import {
  planKeyChanges,
  tableOf,
  unmappedReason,
  type KeyChange as BaseKeyChange,
  type KeyChanges,
} from '../key-changes.ts';
import { eventIdOf } from './event-id.ts';
import type { EventMapping, MappedEvent } from './event-mapping.ts';

/** One change of a key that may change its event, mapped already. */
export interface KeyChange extends BaseKeyChange {
  readonly op: SinkEvent['op'];
  /** The places the row fills; null: a delete. */
  readonly mapped: MappedEvent | null;
}

/** Every change of a batch to one event, in version order. */
export interface KeyPlan {
  readonly eventId: string;
  readonly mapping: EventMapping;
  readonly changes: KeyChange[];
}

/** The batch's outcomes decided without the calendar, and its key plans. */
export type BatchPlan = KeyChanges<KeyPlan>;

export const TRUNCATE_REASON =
  'a truncate cannot be applied to a calendar (it would cancel every event of the table); ' +
  'cancel them in Calendar, or delete the rows instead';

/**
 * Groups a batch by the event each change writes, mapping each row once: what cannot become an
 * event fails here with why, and a change older than one before it of its key is stale.
 */
export function planBatch(
  events: readonly SinkEvent[],
  mappingOf: (table: string) => EventMapping | undefined,
  sink: string,
): BatchPlan {
  return planKeyChanges<Pick<KeyChange, 'op' | 'mapped'>, KeyPlan>(events, TRUNCATE_REASON, (event) => {
    const table = tableOf(event);
    const mapping = mappingOf(table);
    if (!mapping) return unmappedReason(event, 'event template', 'tables');
    if (Object.keys(event.key).length === 0) {
      return (
        `the change of ${table} has an empty key, and the event id is made from the key: give the table a ` +
        'primary key, or declare source.keyless.key_columns for it'
      );
    }
    let mapped: MappedEvent | null = null;
    if (event.after) {
      const result = mapping.map(event.after, event.unchanged);
      if ('reason' in result) return `${table}: ${result.reason}`;
      mapped = result;
    }
    const eventId = eventIdOf(sink, table, event.key);
    return {
      id: eventId,
      newPlan: () => ({ eventId, mapping, changes: [] }),
      change: { op: event.op, mapped },
    };
  });
}
