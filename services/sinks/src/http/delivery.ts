import { CdcError, isTransient, needsOperator, reasonOf, retryAfterOf, type WriteOutcome } from '@cdc/core';
import { sendInKeyOrder } from './key-order.ts';

/**
 * The ids of events a target has acknowledged, so that a retried batch sends only the rest. A
 * bounded memo (oldest forgotten first): it spans the attempts of a batch, not the sink's life;
 * a redelivery it has forgotten is sent again with the same id, and receivers drop duplicates.
 */
export class DeliveredIds {
  readonly maxEntries: number;
  readonly #ids = new Set<string>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries must be a whole number of at least 1');
    }
    this.maxEntries = maxEntries;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id); // a Set keeps insertion order: re-adding makes it the newest
    this.#ids.add(id);
    while (this.#ids.size > this.maxEntries) {
      this.#ids.delete(this.#ids.values().next().value as string);
    }
  }

  /** Forgets every id: the batch they belong to is settled. */
  clear(): void {
    this.#ids.clear();
  }

  get size(): number {
    return this.#ids.size;
  }
}

export interface DeliveryOptions<E> {
  /** The event's identity for the target (its version): the same on every attempt. */
  readonly idOf: (event: E) => string;
  /** Events of one key are delivered in order, one at a time (the target record's key). */
  readonly keyOf: (event: E) => string;
  /** Requests in flight at most. */
  readonly concurrency: number;
  /** Delivers one event; throws the classified failure (HttpTarget.request's) when it cannot. */
  readonly send: (event: E) => Promise<unknown>;
  /** What earlier attempts of this batch delivered; successes are added. */
  readonly delivered: DeliveredIds;
}

type Sent = { readonly refusal?: { readonly error: unknown } };

// Shared by every event that lands: a batch of thousands makes no object per event for them.
const SENT: Sent = Object.freeze({});
const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });

/**
 * Delivers a batch, each event once: those in `delivered` are written already; the rest are
 * sent in key order. A refusal for good becomes that event's `failed` outcome, with the
 * target's answer as the reason (it is dead-lettered). When some events could not be delivered
 * yet (a retriable failure, or waiting behind one of their key), it throws one retriable
 * HTTP_TARGET_UNAVAILABLE carrying the longest Retry-After among them, so that the runtime's
 * retry of the batch (BatchWriter, through `retrying`) waits and sends only those again. A
 * failure that needs an operator is thrown as it is.
 */
export async function deliverBatch<E>(
  events: readonly E[],
  options: DeliveryOptions<E>,
): Promise<WriteOutcome[]> {
  const { delivered, idOf, send } = options;
  const results = await sendInKeyOrder(
    events,
    options.keyOf,
    options.concurrency,
    async (event): Promise<Sent> => {
      const id = idOf(event);
      if (delivered.has(id)) return SENT;
      try {
        await send(event);
      } catch (error) {
        // Only what a retry can cure stops the key: a refused event is dead-lettered, and the
        // later events of its key still go (as when the runtime writes a refused batch one by one).
        if (isTransient(error) || needsOperator(error)) throw error;
        return { refusal: { error } };
      }
      delivered.add(id);
      return SENT;
    },
  );

  const outcomes: WriteOutcome[] = new Array<WriteOutcome>(results.length);
  const failures: unknown[] = [];
  let undelivered = 0;
  for (const [index, result] of results.entries()) {
    if (result.ok) {
      const refusal = result.value.refusal;
      outcomes[index] = refusal === undefined ? WRITTEN : { kind: 'failed', reason: reasonOf(refusal.error) };
      continue;
    }
    undelivered += 1;
    if (!('error' in result)) continue;
    if (needsOperator(result.error)) throw result.error;
    failures.push(result.error);
  }
  if (undelivered > 0) {
    const hints = failures.map(retryAfterOf).filter((ms): ms is number => ms !== undefined);
    const retryAfterMs = hints.length > 0 ? Math.max(...hints) : undefined;
    throw new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `${undelivered} of ${events.length} events not delivered yet: ${reasonOf(failures[0])}`,
      {
        retriable: true,
        cause: failures[0],
        details: {
          undelivered,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        },
      },
    );
  }
  return outcomes;
}
