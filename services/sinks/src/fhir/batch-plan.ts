import type { SinkEvent } from '@cdc/core';
import {
  planKeyChanges,
  unmappedReason,
  type KeyChange as BaseKeyChange,
  type KeyChanges,
} from '../key-changes.ts';
import type { Identifier } from './fhir-client.ts';
import type { FhirResource, KeptElement, ResourceMapping } from './mapping/index.ts';

/** One event of a key that may change the server, mapped already. */
export interface KeyChange extends BaseKeyChange {
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

/** The batch's outcomes decided without the server, and its key plans. */
export type BatchPlan = KeyChanges<KeyPlan>;

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
  return planKeyChanges<Pick<KeyChange, 'mapped'>, KeyPlan>(events, TRUNCATE_REASON, (event) => {
    const mapping = mappingOf(event);
    if (!mapping) return unmappedReason(event, 'resource mapping', 'resources');
    const identified = mapping.identifierOf(event.key);
    if ('reason' in identified) return identified.reason;
    const identifier = { system: mapping.identifierSystem, value: identified.value };
    let mapped: KeyChange['mapped'] = null;
    if (event.after) {
      const result = mapping.map(event.after, event.key, event.unchanged);
      if ('reason' in result) return result.reason;
      if (result.keep.length === 0) {
        const invalid = validate(result.resource);
        if (invalid !== undefined) return invalid;
      }
      mapped = result;
    }
    return {
      id: `${mapping.resourceType}|${identifier.system}|${identifier.value}`,
      newPlan: () => ({ type: mapping.resourceType, identifier, mapping, changes: [] }),
      change: { mapped },
    };
  });
}
