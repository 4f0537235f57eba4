import { CdcError, errorMessage } from '@cdc/core';
import type { Violation } from '../row.ts';
import { PoisonError } from '@cdc/core';

/** The dead-letter reason for an error raised while handling one record. */
export function violationOf(error: unknown): Violation {
  const carried = (error as { violation?: Violation }).violation;
  if (carried && typeof carried.rule === 'string') return carried;
  if (error instanceof PoisonError) return { rule: 'decode', field: null, message: error.message };
  if (error instanceof CdcError)
    return { rule: error.code.toLowerCase(), field: null, message: error.message };
  return { rule: 'error', field: null, message: errorMessage(error) };
}
