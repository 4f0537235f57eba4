import type { Violation } from '../row.ts';

/** One consumed record, as the runtime hands it to a processor. */
export interface InputEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** What becomes of one input record: exactly one output record, or a dead letter. */
export type Outcome =
  | { readonly kind: 'forward'; readonly key: Buffer | null; readonly value: Buffer | null }
  | { readonly kind: 'dead'; readonly violations: readonly Violation[] };

/**
 * A processor's logic. `handleBatch` returns one outcome per event, in order. It throws only for
 * failures that retrying can cure (registry or Redis unreachable): the runtime then retries the
 * batch with back-off. Anything wrong with one record is that record's dead letter.
 */
export interface EventHandler {
  handleBatch(events: readonly InputEvent[]): Promise<Outcome[]>;
}

export const dead = (violations: readonly Violation[]): Outcome => ({ kind: 'dead', violations });
