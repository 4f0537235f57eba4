import type { SnapshotValue } from './debezium-schemas.ts';

/**
 * Debezium's `source.snapshot` of a snapshot row (debezium/debezium at v3.6.1.Final,
 * relational/RelationalSnapshotChangeEventSource.java `setSnapshotMarker` and
 * SnapshotMarkerResolver): the first table and the last are the first and last of the list of
 * tables (an empty one included), a table's first and last rows are known by looking one row
 * ahead, and the very last row of the whole snapshot is `last` whatever its table
 * (EventDispatcher's BufferingSnapshotChangeRecordReceiver `completeSnapshot`).
 */
export interface SnapshotRowPlace {
  readonly firstTable: boolean;
  readonly lastTable: boolean;
  readonly firstInTable: boolean;
  readonly lastInTable: boolean;
  readonly lastOfSnapshot: boolean;
}

export function snapshotMarker(place: SnapshotRowPlace): SnapshotValue {
  if (place.lastOfSnapshot || (place.lastInTable && place.lastTable)) return 'last';
  if (place.firstInTable && place.firstTable) return 'first';
  if (place.lastInTable) return 'last_in_data_collection';
  if (place.firstInTable) return 'first_in_data_collection';
  return 'true';
}
