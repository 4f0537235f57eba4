/**
 * The messages of pgoutput protocol version 1, as decoded by decode.ts. Values stay the text that
 * PostgreSQL sent: the type-aware conversion belongs to the caller, which knows the relation.
 * https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html
 */

/** A TOAST value the update did not touch: PostgreSQL does not send it, so we cannot know it. */
export const UNCHANGED: unique symbol = Symbol('pgoutput.unchanged-toast');
export type Unchanged = typeof UNCHANGED;

/** Positional: element i belongs to column i of the last Relation message for the relation. */
export type Tuple = (string | null | Unchanged)[];

/** A WAL position in PostgreSQL's own text form, 'X/X' (upper-case hex, no padding). */
export type Lsn = string;

export interface BeginMessage {
  tag: 'begin';
  /** The LSN of the commit record, i.e. the commitLsn of the matching CommitMessage. */
  finalLsn: Lsn;
  /** Microseconds since the Unix epoch (converted from PostgreSQL's 2000-01-01 epoch). */
  commitTime: bigint;
  xid: number;
}

export interface CommitMessage {
  tag: 'commit';
  flags: number;
  commitLsn: Lsn;
  /** Just past the commit record: the position to confirm once the transaction is durable. */
  endLsn: Lsn;
  /** Microseconds since the Unix epoch. */
  commitTime: bigint;
}

export interface OriginMessage {
  tag: 'origin';
  /** The commit LSN on the origin server. */
  originLsn: Lsn;
  name: string;
}

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity; under REPLICA IDENTITY FULL that is every column. */
  isKey: boolean;
}

export interface RelationMessage {
  tag: 'relation';
  relationOid: number;
  schema: string;
  name: string;
  replicaIdentity: ReplicaIdentity;
  columns: RelationColumn[];
}

export interface TypeMessage {
  tag: 'type';
  typeOid: number;
  schema: string;
  name: string;
}

export interface InsertMessage {
  tag: 'insert';
  relationOid: number;
  new: Tuple;
}

export interface UpdateMessage {
  tag: 'update';
  relationOid: number;
  /** Sent when the identity changed; non-identity columns are null placeholders. */
  key?: Tuple;
  /** Sent under REPLICA IDENTITY FULL: the whole old row. */
  old?: Tuple;
  new: Tuple;
}

export interface DeleteMessage {
  tag: 'delete';
  relationOid: number;
  key?: Tuple;
  old?: Tuple;
}

export interface TruncateMessage {
  tag: 'truncate';
  relationOids: number[];
  cascade: boolean;
  restartIdentity: boolean;
}

export interface LogicalMessage {
  tag: 'message';
  /** Non-transactional messages arrive outside any Begin/Commit. */
  transactional: boolean;
  lsn: Lsn;
  prefix: string;
  content: Buffer;
}

export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage;

const LSN_PATTERN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** Parses 'X/X'; also takes the zero-padded low half that PostgreSQL 18 prints. */
export function lsnToBigInt(lsn: Lsn): bigint {
  const match = LSN_PATTERN.exec(lsn);
  if (!match) throw new Error(`invalid LSN ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function bigIntToLsn(value: bigint): Lsn {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`LSN out of range: ${value}`);
  const hex = (part: bigint) => part.toString(16).toUpperCase();
  return `${hex(value >> 32n)}/${hex(value & 0xffff_ffffn)}`;
}
