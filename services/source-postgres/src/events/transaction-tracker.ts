import { CdcError } from '@cdc/core';
import {
  lsnToBigInt,
  type DeleteMessage,
  type InsertMessage,
  type LogicalMessage,
  type OriginMessage,
  type PgoutputMessage,
  type RelationMessage,
  type TruncateMessage,
  type TypeMessage,
  type UpdateMessage,
} from '../pgoutput/messages.ts';
import { EventSeqs } from './event-seqs.ts';

/**
 * Follows the pgoutput stream, message by message, and tells where each data change sits: its
 * transaction, the transaction's commit LSN, and the seqs of its events. Events of one
 * multi-row INSERT or COPY share a commit LSN (and may share a WAL position), so (commitLsn, seq)
 * is the only position that tells them apart across a restart: by LSN alone, a restart in the
 * middle of them would lose or repeat some.
 *
 * Seqs number events, not messages: one UPDATE that changes the message key is two events (a
 * delete and a create), one TRUNCATE is an event per table, and only the event builder knows how
 * many a message makes. So every change of a transaction carries the transaction's one EventSeqs,
 * from which the builder draws a seq per event, in stream order. Pure: no I/O; the caller feeds
 * messages in stream order and acknowledges the end LSN of a Commit only once Kafka holds every
 * event of that transaction.
 */

/** Where one data change sits. All positions are BigInt, as Avro longs must be. */
export interface ChangeContext {
  readonly txId: number;
  /** The commit LSN announced by Begin: the first half of the event's version. */
  readonly commitLsn: bigint;
  /** The transaction's seqs, the second half of each version: 0 for its first event. */
  readonly seqs: EventSeqs;
  /** The WAL position of the message itself, as the caller received it (XLogData start). */
  readonly lsn: bigint;
  /** Commit time in milliseconds since the epoch. */
  readonly commitTimeMs: bigint;
}

/**
 * What an open transaction knows beyond the ChangeContext of its changes, for envelopes that say
 * more than ours: Debezium's microsecond commit time and its `source.sequence`.
 */
export interface TransactionDetail {
  /** Commit time in microseconds since the epoch, as Begin carries it. */
  readonly commitTimeUs: bigint;
  /**
   * End LSN of the commit the stream delivered before this transaction; null for the first one
   * since the stream started.
   */
  readonly previousCommitEndLsn: bigint | null;
}

export interface TransactionSummary {
  readonly txId: number;
  readonly commitLsn: bigint;
  /** Just past the commit record: what to confirm to the slot once Kafka has every event. */
  readonly endLsn: bigint;
  readonly commitTimeMs: bigint;
  /** Data messages (insert, update, delete, truncate) the transaction held. */
  readonly changes: number;
}

export type TrackerStep =
  | { readonly kind: 'begin'; readonly txId: number; readonly commitLsn: bigint }
  | {
      readonly kind: 'relation';
      readonly relation: RelationMessage;
      /** The Relation message this one replaces, if the oid was known. */
      readonly previous: RelationMessage | undefined;
      /**
       * True when a known relation came back different (columns, types, identity, name): the
       * caller must rebuild the table's shape and schemas. PostgreSQL also resends unchanged
       * Relation messages (each new session, cache invalidations), which are not changes.
       */
      readonly changed: boolean;
    }
  | {
      readonly kind: 'change';
      readonly message: InsertMessage | UpdateMessage | DeleteMessage;
      readonly relation: RelationMessage;
      readonly context: ChangeContext;
    }
  | {
      readonly kind: 'truncate';
      readonly message: TruncateMessage;
      /** One event per relation, each with a seq of its own. */
      readonly relations: readonly RelationMessage[];
      readonly context: ChangeContext;
    }
  | { readonly kind: 'commit'; readonly summary: TransactionSummary }
  | { readonly kind: 'other'; readonly message: OriginMessage | TypeMessage | LogicalMessage };

interface OpenTransaction {
  readonly txId: number;
  readonly finalLsn: string;
  readonly commitLsn: bigint;
  readonly commitTimeMs: bigint;
  readonly seqs: EventSeqs;
  readonly detail: TransactionDetail;
  changes: number;
}

// A wrong order means we misread the stream or lost part of it: carrying on would number events
// wrongly, so stop. Restarting resumes from the last confirmed position, which is safe.
function orderError(message: string, details: Record<string, unknown>): CdcError {
  return new CdcError('PGOUTPUT_ORDER', `pgoutput stream out of order: ${message}`, {
    fix: 'restart the source; it resumes from the last confirmed LSN. If it recurs, report it as a bug',
    details,
  });
}

function sameRelation(a: RelationMessage, b: RelationMessage): boolean {
  return (
    a.schema === b.schema &&
    a.name === b.name &&
    a.replicaIdentity === b.replicaIdentity &&
    a.columns.length === b.columns.length &&
    a.columns.every((column, i) => {
      const other = b.columns[i];
      return (
        other !== undefined &&
        column.name === other.name &&
        column.typeOid === other.typeOid &&
        column.typeMod === other.typeMod &&
        column.isKey === other.isKey
      );
    })
  );
}

export class TransactionTracker {
  readonly #relations = new Map<number, RelationMessage>();
  #open: OpenTransaction | undefined;
  #lastCommitEndLsn: bigint | null = null;

  /** The last Relation message seen for an oid (pgoutput sends one before the first use). */
  relation(relationOid: number): RelationMessage | undefined {
    return this.#relations.get(relationOid);
  }

  get inTransaction(): boolean {
    return this.#open !== undefined;
  }

  /** The open transaction's detail; undefined between transactions. */
  get transaction(): TransactionDetail | undefined {
    return this.#open?.detail;
  }

  /** Feeds the next message of the stream; `lsn` is the WAL position it arrived at. */
  feed(message: PgoutputMessage, lsn: bigint): TrackerStep {
    switch (message.tag) {
      case 'begin': {
        if (this.#open) {
          throw orderError(`Begin of xid ${message.xid} inside transaction ${this.#open.txId}`, {
            xid: message.xid,
            openXid: this.#open.txId,
          });
        }
        const commitLsn = lsnToBigInt(message.finalLsn);
        this.#open = {
          txId: message.xid,
          finalLsn: message.finalLsn,
          commitLsn,
          commitTimeMs: message.commitTime / 1000n,
          seqs: new EventSeqs(),
          detail: { commitTimeUs: message.commitTime, previousCommitEndLsn: this.#lastCommitEndLsn },
          changes: 0,
        };
        return { kind: 'begin', txId: message.xid, commitLsn };
      }
      case 'commit': {
        const open = this.#open;
        if (!open) throw orderError(`Commit at ${message.commitLsn} outside a transaction`, { lsn });
        // Begin announces the commit LSN; a different one means the two do not belong together.
        if (lsnToBigInt(message.commitLsn) !== open.commitLsn) {
          throw orderError(
            `Commit at ${message.commitLsn} closes a transaction announced at ${open.finalLsn}`,
            {
              xid: open.txId,
            },
          );
        }
        this.#open = undefined;
        this.#lastCommitEndLsn = lsnToBigInt(message.endLsn);
        return {
          kind: 'commit',
          summary: {
            txId: open.txId,
            commitLsn: open.commitLsn,
            endLsn: lsnToBigInt(message.endLsn),
            commitTimeMs: open.commitTimeMs,
            changes: open.changes,
          },
        };
      }
      case 'relation': {
        const previous = this.#relations.get(message.relationOid);
        this.#relations.set(message.relationOid, message);
        const changed = previous !== undefined && !sameRelation(previous, message);
        return { kind: 'relation', relation: message, previous, changed };
      }
      case 'insert':
      case 'update':
      case 'delete': {
        const context = this.#next(message.tag, lsn);
        return { kind: 'change', message, relation: this.#known(message.relationOid, message.tag), context };
      }
      case 'truncate': {
        const context = this.#next('truncate', lsn);
        const relations = message.relationOids.map((oid) => this.#known(oid, 'truncate'));
        return { kind: 'truncate', message, relations, context };
      }
      case 'message':
        if (message.transactional && !this.#open) {
          throw orderError(`transactional logical message at ${message.lsn} outside a transaction`, { lsn });
        }
        return { kind: 'other', message };
      case 'origin':
      case 'type':
        return { kind: 'other', message };
    }
  }

  #known(relationOid: number, tag: string): RelationMessage {
    const relation = this.#relations.get(relationOid);
    if (!relation) {
      throw orderError(`${tag} for relation ${relationOid} before its Relation message`, { relationOid });
    }
    return relation;
  }

  #next(tag: string, lsn: bigint): ChangeContext {
    const open = this.#open;
    if (!open) throw orderError(`${tag} at WAL position ${lsn} outside a transaction`, { lsn });
    open.changes += 1;
    const { txId, commitLsn, seqs, commitTimeMs } = open;
    return { txId, commitLsn, seqs, lsn, commitTimeMs };
  }
}
