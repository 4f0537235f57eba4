import type { SinkEvent } from '@cdc/core';
import {
  planKeyChanges,
  tableOf,
  unmappedReason,
  type KeyChange as BaseKeyChange,
  type KeyChanges,
} from '../key-changes.ts';
import type { PropertyIntent, PropertyPayload } from './property-values.ts';
import type { TableMapping } from './table-mapping.ts';

/** One event of a key that may change its page, mapped already. */
export interface KeyChange extends BaseKeyChange {
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

/** The batch's outcomes decided without Notion, and its key plans. */
export type BatchPlan = KeyChanges<KeyPlan>;

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
  return planKeyChanges<Pick<KeyChange, 'values'>, KeyPlan>(events, TRUNCATE_REASON, (event) => {
    const mapping = mappingOf(tableOf(event));
    if (!mapping) return unmappedReason(event, 'data source', 'tables');
    const key = mapping.keyOf(event.key);
    if ('reason' in key) return key.reason;
    let values: KeyChange['values'] = null;
    if (event.after) {
      const mapped = mapping.map(event.after, event.unchanged);
      if ('reason' in mapped) return mapped.reason;
      values = mapped.values;
    }
    return {
      id: `${mapping.dataSourceId}\u0000${key.value}`,
      newPlan: () => ({ mapping, key: key.value, changes: [] }),
      change: { values },
    };
  });
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
