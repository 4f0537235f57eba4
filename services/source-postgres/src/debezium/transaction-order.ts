/**
 * The `transaction` block's orders: the events of the current transaction counted from 1,
 * overall (total_order) and per table (data_collection_order), as Debezium's TransactionMonitor
 * counts every emitted data event (skipped truncates and tombstones are not events). One instance
 * follows one stream; a transaction streamed again from its start (after a reconnect, which
 * resends it whole) is counted again from 1.
 */
export class TransactionOrder {
  #transaction: string | undefined;
  #lastSeq = -1n;
  #total = 0n;
  #perTable = new Map<string, bigint>();

  /** `transaction` names it (txId and commit LSN); `seq` is the event's, `table` its schema.table. */
  next(transaction: string, seq: bigint, table: string): { total: bigint; inTable: bigint } {
    if (transaction !== this.#transaction || seq <= this.#lastSeq) {
      this.#transaction = transaction;
      this.#total = 0n;
      this.#perTable = new Map();
    }
    this.#lastSeq = seq;
    this.#total += 1n;
    const inTable = (this.#perTable.get(table) ?? 0n) + 1n;
    this.#perTable.set(table, inTable);
    return { total: this.#total, inTable };
  }
}
