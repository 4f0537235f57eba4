import type { SinkRow } from '@cdc/core';

/** A FHIR resource as JSON: its type, then its elements. */
export type FhirResource = { readonly resourceType: string; [element: string]: unknown };

/** Why a row cannot become its resource; `field` names the row field when one is to blame. */
export type MappingFailure = { readonly reason: string; readonly field?: string };

/**
 * An element of the server's resource that a partial update leaves as it is: a top-level element
 * whole, or, for `extension` and `modifierExtension`, the extensions of one `url` (so that one
 * unchanged field does not freeze every extension of the resource).
 */
export interface KeptElement {
  readonly element: string;
  readonly url?: string;
}

/** One topic's rows as resources of one type, found on the server by their identifier. */
export interface ResourceMapping {
  readonly resourceType: string;
  readonly identifierSystem: string;
  /** The row fields the template reads (for checks against a topic's value schema). */
  readonly fields: readonly string[];
  /** The identifier value from the event's key row. */
  identifierOf(key: SinkRow): { readonly value: string } | MappingFailure;
  /** The key row an identifier value stands for (its fields as text); undefined when it is not one of ours. */
  keyOfIdentifier(value: string): SinkRow | undefined;
  /**
   * The resource a row becomes: resourceType, identifier [{ system, value }] first, then the template's elements.
   * `unchanged` lists source fields PostgreSQL did not send (unchanged TOAST, their value is null in the row):
   * the elements whose template uses one of them (top-level elements, or extensions by url) are listed
   * in `keep` (the sink copies them from the server's current resource) and left out of `resource`.
   */
  map(
    row: SinkRow,
    key: SinkRow,
    unchanged: readonly string[],
  ): { readonly resource: FhirResource; readonly keep: readonly KeptElement[] } | MappingFailure;
  /**
   * The row fields a resource holds where the template puts a whole placeholder (field-paths.ts),
   * read back: what a person may have changed at the server since the sink wrote it.
   */
  readFields(resource: FhirResource): Readonly<Record<string, unknown>>;
  /** The resource with one field's place taken from `from` (merge keeps the server's value). */
  withFieldFrom(resource: FhirResource, from: FhirResource, field: string): FhirResource;
  /** Top-level elements set on the server's resource when its row is deleted. */
  readonly onDelete: Readonly<Record<string, unknown>>;
}
