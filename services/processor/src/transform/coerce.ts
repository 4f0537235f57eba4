import type { ValueKind } from './avro-kind.ts';
import { timeText, toBoolean, toDouble, toInt, toLong, toText, type TargetType } from './convert.ts';
import { InPlaceOp } from './op.ts';

/** coerce: one conversion per (source kind, target), chosen when binding. */
export class CoerceOp extends InPlaceOp {
  readonly kind = 'coerce';
  readonly #to: TargetType;
  readonly #from: ValueKind;
  readonly #time: boolean;

  constructor(slot: number, field: string, from: ValueKind, to: TargetType) {
    super(slot, field);
    this.#from = from;
    this.#to = to;
    this.#time =
      from === 'date' ||
      from === 'time-micros' ||
      from === 'timestamp-micros' ||
      from === 'local-timestamp-micros';
  }

  protected transform(value: unknown): unknown {
    switch (this.#to) {
      case 'string':
        return this.#time ? timeText(this.#from, value) : toText(value);
      case 'int':
        return toInt(value);
      case 'long':
        return toLong(value);
      case 'double':
        return toDouble(value);
      case 'boolean':
        return toBoolean(value);
    }
  }
}
