import { CdcError, PoisonError, errorMessage, partReason, schemaIdIn, type RecordPart } from '@cdc/core';
import type { Violation } from '../row.ts';

/** The dead-letter reason for an error raised while handling one record. */
export function violationOf(error: unknown): Violation {
  const carried = (error as { violation?: Violation }).violation;
  if (carried && typeof carried.rule === 'string') return carried;
  if (error instanceof PoisonError) return { rule: 'decode', field: null, message: error.message };
  if (error instanceof CdcError)
    return { rule: error.code.toLowerCase(), field: null, message: error.message };
  return { rule: 'error', field: null, message: errorMessage(error) };
}

/**
 * The reason for a part (key or value) that cannot be read or passed on: it names the part and
 * the schema id its bytes carry, as sinks do (partReason in @cdc/core).
 */
export function partViolation(part: RecordPart, bytes: Buffer, error: unknown): Violation {
  const { rule, message } = violationOf(error);
  return partReason(rule, part, schemaIdIn(bytes), message);
}
