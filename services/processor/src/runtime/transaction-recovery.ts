/**
 * What to do after a Kafka transaction failed, decided from kafkajs 2.2.4's own rules
 * (node_modules/kafkajs/src/producer/eosManager): its transaction state machine goes
 * TRANSACTING -> COMMITTING or ABORTING -> READY, and a request that fails on the way leaves it
 * in COMMITTING or ABORTING for good. From there `abort` refuses ("Cannot continue to use
 * transaction once ended") and the next `transaction()` throws `Transaction state exception:
 * Cannot call "beginTransaction" in state "COMMITTING"`, and `initProducerId` is only legal in
 * READY: such a producer can never transact again. A fenced producer (another instance took the
 * partition over) cannot either.
 */

/** The part of a kafkajs transaction this decision looks at. */
export interface OpenTransaction {
  /** Still TRANSACTING: kafkajs would accept an abort. */
  isActive(): boolean;
  abort(): Promise<void>;
}

// Broker answers after which this producer id and epoch are done for: fenced, or out of step.
const PRODUCER_GONE = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
  'INVALID_TXN_STATE',
  'TRANSACTION_COORDINATOR_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
]);

// kafkajs' own refusals once its state machine is stuck (see above).
const STUCK_STATE =
  /Transaction state exception|Cannot continue to use transaction once ended|already an ongoing transaction/u;

/** Whether this error means the producer can never transact again (see the comment above). */
export function producerIsDone(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let e: unknown = error;
    e && typeof e === 'object' && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    const { type, message } = e as { type?: unknown; message?: unknown };
    if (typeof type === 'string' && PRODUCER_GONE.has(type)) return true;
    if (typeof message === 'string' && STUCK_STATE.test(message)) return true;
  }
  return false;
}

/**
 * `aborted`: nothing of the batch was committed, and the producer can go on; the batch is simply
 * tried again. `replace-producer`: the producer is unusable, and whether the transaction was
 * committed is unknown (a broker that died mid-commit may still complete it): a new producer
 * must initialise (which fences the old one and finishes or aborts what it left) and the
 * committed offset be read again before the partition is processed further.
 */
export type Recovery = 'aborted' | 'replace-producer';

export async function recoverTransaction(transaction: OpenTransaction, error: unknown): Promise<Recovery> {
  if (producerIsDone(error) || !transaction.isActive()) return 'replace-producer';
  try {
    await transaction.abort();
    return 'aborted';
  } catch {
    return 'replace-producer';
  }
}

/**
 * The records of a batch still to be processed once the committed offset is known again: those at
 * or after it (the ones before it were committed by a transaction whose end we did not see).
 */
export function unprocessed<T extends { readonly offset: string }>(
  messages: readonly T[],
  committed: bigint | undefined,
): readonly T[] {
  if (committed === undefined) return messages;
  return messages.filter((m) => BigInt(m.offset) >= committed);
}
