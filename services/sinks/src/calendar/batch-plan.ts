import {
  compareVersions,
  type EventVersion,
  type SinkEvent,
  type SinkRow,
  type WriteOutcome,
} from '@cdc/core';
import { eventIdOf } from './event-id.ts';
import type { EventMapping, MappedEvent } from './event-mapping.ts';

/** One change of a key that may change its event, mapped already. */
export interface KeyChange {
  readonly index: number;
  readonly op: SinkEvent['op'];
  readonly version: EventVersion;
  readonly commitTimeMs: number;
  /** The event's row (`after`), null for a delete: what a conflict record shows as ours. */
  readonly row: SinkRow | null;
  /** The places the row fills; null: a delete. */
  readonly mapped: MappedEvent | null;
}

/** Every change of a batch to one event, in version order. */
export interface KeyPlan {
  readonly eventId: string;
  readonly mapping: EventMapping;
  readonly changes: KeyChange[];
}

export interface BatchPlan {
  /** Outcomes decided without the calendar (rows that cannot map, older versions within the batch). */
  readonly outcomes: (WriteOutcome | undefined)[];
  readonly keys: KeyPlan[];
}

const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

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
  const outcomes = new Array<WriteOutcome | undefined>(events.length);
  const keys = new Map<string, KeyPlan>();
  events.forEach((event, index) => {
    const failed = (reason: string) => (outcomes[index] = { kind: 'failed', reason });
    if (event.op === 't') return failed(TRUNCATE_REASON);
    const table = `${event.table.schema}.${event.table.name}`;
    const mapping = mappingOf(table);
    if (!mapping) {
      return failed(
        `table ${table} (topic ${event.topic}) has no event template in this sink: add tables.${table}`,
      );
    }
    if (Object.keys(event.key).length === 0) {
      return failed(
        `the change of ${table} has an empty key, and the event id is made from the key: give the table a ` +
          'primary key, or declare source.keyless.key_columns for it',
      );
    }
    let mapped: MappedEvent | null = null;
    if (event.after) {
      const result = mapping.map(event.after, event.unchanged);
      if ('reason' in result) return failed(`${table}: ${result.reason}`);
      mapped = result;
    }
    const eventId = eventIdOf(sink, table, event.key);
    let plan = keys.get(eventId);
    if (!plan) {
      plan = { eventId, mapping, changes: [] };
      keys.set(eventId, plan);
    }
    const last = plan.changes.at(-1);
    if (last && compareVersions(event.version, last.version) <= 0) {
      outcomes[index] = STALE;
      return;
    }
    plan.changes.push({
      index,
      op: event.op,
      version: event.version,
      commitTimeMs: event.commitTimeMs,
      row: event.after,
      mapped,
    });
  });
  return { outcomes, keys: [...keys.values()] };
}
