import {
  compareVersions,
  type EventVersion,
  type SinkEvent,
  type SinkRow,
  type WriteOutcome,
} from '@cdc/core';
import type { Identifier } from './fhir-client.ts';
import type { FhirResource, KeptElement, ResourceMapping } from './mapping/index.ts';

/** One event of a key that may change the server, mapped already. */
export interface KeyChange {
  readonly index: number;
  readonly version: EventVersion;
  readonly commitTimeMs: number;
  /** The event's row (`after`), null for a delete: what a conflict record shows as ours. */
  readonly row: SinkRow | null;
  /** The row's resource and the elements to take from what the server holds; null: a delete. */
  readonly mapped: { readonly resource: FhirResource; readonly keep: readonly KeptElement[] } | null;
}

/** Every change of a batch to one resource (type and identifier), in version order. */
export interface KeyPlan {
  readonly type: string;
  readonly identifier: Identifier;
  readonly mapping: ResourceMapping;
  readonly changes: KeyChange[];
}

export interface BatchPlan {
  /** Outcomes decided without the server (refused rows, older versions within the batch); the rest undefined. */
  readonly outcomes: (WriteOutcome | undefined)[];
  readonly keys: KeyPlan[];
}

const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

export const TRUNCATE_REASON =
  'a truncate cannot be applied to a FHIR server (it would mean marking every resource of the table deleted); ' +
  'mark them with a replay of the table, or delete them at the server';

/**
 * Groups a batch by the resource each event changes, mapping each row once. What cannot become a
 * resource fails here, naming why; a change older than one before it in the batch is stale.
 * `validate` checks a mapped resource that keeps nothing from the server (one that does is checked
 * once its kept elements are filled in).
 */
export function planBatch(
  events: readonly SinkEvent[],
  mappingOf: (event: SinkEvent) => ResourceMapping | undefined,
  validate: (resource: FhirResource) => string | undefined,
): BatchPlan {
  const outcomes = new Array<WriteOutcome | undefined>(events.length);
  const keys = new Map<string, KeyPlan>();
  events.forEach((event, index) => {
    const failed = (reason: string) => (outcomes[index] = { kind: 'failed', reason });
    if (event.op === 't') return failed(TRUNCATE_REASON);
    const mapping = mappingOf(event);
    if (!mapping) {
      const table = `${event.table.schema}.${event.table.name}`;
      return failed(
        `table ${table} (topic ${event.topic}) has no resource mapping in this sink: add resources.${table}`,
      );
    }
    const identified = mapping.identifierOf(event.key);
    if ('reason' in identified) return failed(identified.reason);
    const identifier = { system: mapping.identifierSystem, value: identified.value };
    let mapped: KeyChange['mapped'] = null;
    if (event.after) {
      const result = mapping.map(event.after, event.key, event.unchanged);
      if ('reason' in result) return failed(result.reason);
      if (result.keep.length === 0) {
        const invalid = validate(result.resource);
        if (invalid !== undefined) return failed(invalid);
      }
      mapped = result;
    }
    const id = `${mapping.resourceType}|${identifier.system}|${identifier.value}`;
    let plan = keys.get(id);
    if (!plan) {
      plan = { type: mapping.resourceType, identifier, mapping, changes: [] };
      keys.set(id, plan);
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
      mapped,
    });
  });
  return { outcomes, keys: [...keys.values()] };
}
