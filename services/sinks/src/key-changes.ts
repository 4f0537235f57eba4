import {
  compareVersions,
  type EventVersion,
  type SinkEvent,
  type SinkRow,
  type WriteOutcome,
} from '@cdc/core';

/** What every change of a key carries, whatever a sink maps its row to. */
export interface KeyChange {
  readonly index: number;
  readonly version: EventVersion;
  readonly commitTimeMs: number;
  /** The event's row (`after`), null for a delete: what a conflict record shows as ours. */
  readonly row: SinkRow | null;
}

/** Where an event goes: the key it changes (`id`), how to start that key's plan, and its mapped part. */
export interface Placement<P, M> {
  readonly id: string;
  /** Called for the first change of `id` in the batch only. */
  readonly newPlan: () => P;
  readonly change: M;
}

export interface KeyChanges<P> {
  /** Outcomes decided without the target (refused rows, older versions within the batch); the rest undefined. */
  readonly outcomes: (WriteOutcome | undefined)[];
  /** One plan per key, in the order of their first change. */
  readonly keys: P[];
}

// One frozen object for every stale outcome: nothing is added to it per event.
const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

/**
 * Groups a batch by the key each event changes, in version order: what `place` refuses (a reason)
 * fails, a change not newer than one before it of its key is stale, and the rest joins its key's
 * plan with its mapped part. A truncate changes no one key, so it fails with `truncateReason`.
 */
export function planKeyChanges<M, P extends { readonly changes: (KeyChange & M)[] }>(
  events: readonly SinkEvent[],
  truncateReason: string,
  place: (event: SinkEvent, index: number) => string | Placement<P, M>,
): KeyChanges<P> {
  const outcomes = new Array<WriteOutcome | undefined>(events.length);
  const keys = new Map<string, P>();
  events.forEach((event, index) => {
    const placed = event.op === 't' ? truncateReason : place(event, index);
    if (typeof placed === 'string') {
      outcomes[index] = { kind: 'failed', reason: placed };
      return;
    }
    let plan = keys.get(placed.id);
    if (!plan) {
      plan = placed.newPlan();
      keys.set(placed.id, plan);
    }
    const last = plan.changes.at(-1);
    if (last && compareVersions(event.version, last.version) <= 0) {
      outcomes[index] = STALE;
      return;
    }
    plan.changes.push({
      index,
      version: event.version,
      commitTimeMs: event.commitTimeMs,
      row: event.after,
      ...placed.change,
    });
  });
  return { outcomes, keys: [...keys.values()] };
}

/** `schema.name` of the event's table: how sink settings name a table. */
export function tableOf(event: SinkEvent): string {
  return `${event.table.schema}.${event.table.name}`;
}

/** Why an event of a table the sink has no `what` for fails, naming the setting that would add one. */
export function unmappedReason(event: SinkEvent, what: string, setting: string): string {
  const table = tableOf(event);
  return `table ${table} (topic ${event.topic}) has no ${what} in this sink: add ${setting}.${table}`;
}
