import { CdcError } from '@cdc/core';
import type { TableColumn } from './avro/table-schemas.ts';
import type { ColumnKind } from './types/column-kind.ts';

// Helpers shared by this workspace's unit tests.

export const column = (name: string, kind: ColumnKind, nullable = true, isKey = false): TableColumn => ({
  name,
  kind,
  nullable,
  isKey,
});

/** The CdcError an action throws; fails the test when it throws nothing or something else. */
export function thrown(action: () => unknown): CdcError {
  try {
    action();
  } catch (error) {
    if (error instanceof CdcError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}
