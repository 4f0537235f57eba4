import type { CompiledExpression } from '../rules/expression.ts';
import type { Row } from '../row.ts';
import { convert, type TargetType } from './convert.ts';
import { TransformError } from './errors.ts';
import type { Op } from './op.ts';

/** compute: evaluates an expression over the fields it reads and converts the result to the declared type. */
export class ComputeOp implements Op {
  readonly #expression: CompiledExpression;
  readonly #readSlots: readonly number[];
  readonly #readNames: readonly string[];
  readonly #slot: number;
  readonly #field: string;
  readonly #to: TargetType;
  // Reused for every row: evaluation is synchronous and the expression keeps no reference to it.
  readonly #view: Row = {};

  constructor(
    expression: CompiledExpression,
    read: { readonly slots: readonly number[]; readonly names: readonly string[] },
    slot: number,
    field: string,
    to: TargetType,
  ) {
    this.#expression = expression;
    this.#readSlots = read.slots;
    this.#readNames = read.names;
    this.#slot = slot;
    this.#field = field;
    this.#to = to;
  }

  run(values: unknown[], unchanged: Uint8Array | null): void {
    const view = this.#view;
    for (let i = 0; i < this.#readSlots.length; i++) {
      const slot = this.#readSlots[i] as number;
      // A value Postgres did not send is unknown, so whatever depends on it is unknown too.
      if (unchanged !== null && unchanged[slot] === 1) {
        values[this.#slot] = null;
        unchanged[this.#slot] = 1;
        return;
      }
      view[this.#readNames[i] as string] = values[slot];
    }
    let result: unknown;
    try {
      result = this.#expression.evaluate(view);
      values[this.#slot] = result === null || result === undefined ? null : convert(result, this.#to);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TransformError('compute', this.#field, `${this.#expression.source}: ${message}`, error);
    }
  }
}
