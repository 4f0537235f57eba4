/**
 * The seqs of one transaction's events (or of one snapshot's rows), handed out in stream order:
 * each event draws the next one, so that the version (commitLsn, seq) is unique per event, both
 * halves of a key change and each table of a multi-table TRUNCATE included (a tombstone is no
 * event: it keeps its delete's version). PostgreSQL resends a transaction whole after a crash, in
 * the same order, so a replay draws the same seqs again.
 */
export class EventSeqs {
  #next: bigint;

  constructor(first = 0n) {
    this.#next = first;
  }

  /** The seq of one more event. */
  next(): bigint {
    const seq = this.#next;
    this.#next += 1n;
    return seq;
  }
}
