import {
  compareVersions,
  type EventVersion,
  type SinkEvent,
  type SinkRow,
  type WriteOutcome,
} from '@cdc/core';
import type { PropertyIntent, PropertyPayload } from './property-values.ts';
import type { TableMapping } from './table-mapping.ts';

/** One event of a key that may change its page, mapped already. */
export interface KeyChange {
  readonly index: number;
  readonly version: EventVersion;
  readonly commitTimeMs: number;
  /** The event's row (`after`), null for a delete: what a conflict record shows as ours. */
  readonly row: SinkRow | null;
  /** Property values by name (relations still as keys); null: a delete. */
  readonly values: ReadonlyMap<string, PropertyIntent> | null;
}

/** A change whose relations point at pages: what a page write is made of. */
export interface ResolvedChange extends Omit<KeyChange, 'values'> {
  readonly values: ReadonlyMap<string, PropertyPayload> | null;
}

/** Every change of a batch to one page (data source and key), in version order. */
export interface KeyPlan<C extends KeyChange | ResolvedChange = KeyChange> {
  readonly mapping: TableMapping;
  /** The key property's text. */
  readonly key: string;
  readonly changes: C[];
}

export interface BatchPlan {
  /** Outcomes decided without Notion (rows that cannot map, older versions within the batch); the rest undefined. */
  readonly outcomes: (WriteOutcome | undefined)[];
  readonly keys: KeyPlan[];
}

const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

export const TRUNCATE_REASON =
  'a truncate cannot be applied to a Notion data source (it would mean trashing every page of the table); ' +
  'trash the pages in Notion, or replay the table';

/**
 * Groups a batch by the page each event changes, mapping each row once. What cannot become page
 * properties fails here, naming why; a change older than one before it in the batch is stale.
 */
export function planBatch(
  events: readonly SinkEvent[],
  mappingOf: (table: string) => TableMapping | undefined,
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
        `table ${table} (topic ${event.topic}) has no data source in this sink: add tables.${table}`,
      );
    }
    const key = mapping.keyOf(event.key);
    if ('reason' in key) return failed(key.reason);
    let values: KeyChange['values'] = null;
    if (event.after) {
      const mapped = mapping.map(event.after, event.unchanged);
      if ('reason' in mapped) return failed(mapped.reason);
      values = mapped.values;
    }
    const id = `${mapping.dataSourceId}\u0000${key.value}`;
    let plan = keys.get(id);
    if (!plan) {
      plan = { mapping, key: key.value, changes: [] };
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
      values,
    });
  });
  return { outcomes, keys: [...keys.values()] };
}

/** The related rows' keys a plan's changes name, by table. */
export function relatedKeys(plans: readonly KeyPlan[]): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  for (const plan of plans) {
    for (const change of plan.changes) {
      for (const intent of change.values?.values() ?? []) {
        if (!('relatedKeys' in intent)) continue;
        let keys = wanted.get(intent.table);
        if (!keys) wanted.set(intent.table, (keys = new Set()));
        for (const key of intent.relatedKeys) keys.add(key);
      }
    }
  }
  return wanted;
}

/**
 * The plan with its relations pointing at pages: `pageOf` knows the page of a row of a mapped
 * table, or not. A change naming a row without a page fails (its events get `failures`), since
 * writing it without would lose the relation until the row changes again.
 */
export function resolveRelations(
  plan: KeyPlan,
  pageOf: (table: string, key: string) => string | undefined,
  failures: Map<number, string>,
): KeyPlan<ResolvedChange> {
  const changes: ResolvedChange[] = [];
  for (const change of plan.changes) {
    if (change.values === null) {
      changes.push({ ...change, values: null });
      continue;
    }
    const values = new Map<string, PropertyPayload>();
    let missing: string | undefined;
    for (const [name, intent] of change.values) {
      if ('payload' in intent) {
        values.set(name, intent.payload);
        continue;
      }
      const ids: { id: string }[] = [];
      for (const key of intent.relatedKeys) {
        const id = pageOf(intent.table, key);
        if (id === undefined) {
          missing ??=
            `${plan.mapping.path}.properties.${name}: no page of ${intent.table} has key ${JSON.stringify(key)} ` +
            `yet; write that row first (its page may be in the trash), then redrive this one`;
          break;
        }
        ids.push({ id });
      }
      values.set(name, { relation: ids });
    }
    if (missing === undefined) changes.push({ ...change, values });
    else failures.set(change.index, missing);
  }
  return { ...plan, changes };
}
