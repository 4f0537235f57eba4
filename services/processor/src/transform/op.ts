import type { StepKind } from './step-config.ts';
import { TransformError } from './errors.ts';

/**
 * One value-changing step bound to a schema. A row is carried through the steps as an array of
 * slots (one per value, names resolved when binding), so ops are objects built once per schema
 * and running them allocates no closures.
 */
export interface Op {
  /**
   * Reads and writes `values`. `unchanged[slot] === 1` marks a value Postgres did not send
   * (unchanged TOAST); `unchanged` is null when the event has none, the common case.
   */
  run(values: unknown[], unchanged: Uint8Array | null): void;
}

/** A value to transform in place, e.g. after coerce or mask; null and unchanged values are left alone. */
export abstract class InPlaceOp implements Op {
  readonly slot: number;
  readonly field: string;
  abstract readonly kind: StepKind;

  constructor(slot: number, field: string) {
    this.slot = slot;
    this.field = field;
  }

  run(values: unknown[], unchanged: Uint8Array | null): void {
    const value = values[this.slot];
    if (value === null || value === undefined) {
      values[this.slot] = null;
      return;
    }
    if (unchanged !== null && unchanged[this.slot] === 1) return;
    try {
      values[this.slot] = this.transform(value);
    } catch (error) {
      throw this.failure(error);
    }
  }

  protected abstract transform(value: unknown): unknown;

  protected failure(error: unknown): TransformError {
    if (error instanceof TransformError) return error;
    return new TransformError(
      this.kind,
      this.field,
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
}
