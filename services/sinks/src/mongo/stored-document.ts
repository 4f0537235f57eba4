import type { Collection, Document, Filter } from 'mongodb';
import { compareVersions, type EventVersion } from '@cdc/core';

/**
 * Our bookkeeping inside every document we write:
 *   _cdc: { lsn: Long, seq: Long, h: { field: hash of the value we last wrote }, deleted?, expire_at? }
 * The version pair is stored as two longs because MongoDB compares them natively.
 */
export interface CdcMeta {
  lsn: bigint;
  seq: bigint;
  h?: Record<string, string>;
  deleted?: true;
  expire_at?: Date;
}

export const META = '_cdc';

/** Documents keyed by primary key values, not ObjectIds. */
export type DocumentKey =
  string | number | bigint | boolean | Uint8Array | { readonly [field: string]: unknown };

export interface TargetDocument extends Document {
  _id: DocumentKey;
}

export type TargetCollection = Collection<TargetDocument>;

/** A document as found in the target, reduced to what the sink reasons about. */
export interface StoredState {
  /** A document with this _id exists (data or a delete marker). */
  readonly exists: boolean;
  /** The version we last applied; null for a document we never wrote (or none). */
  readonly version: EventVersion | null;
  readonly deleted: boolean;
  /** Per-field hashes of our last write; null when we never wrote data into this document. */
  readonly hashes: Readonly<Record<string, string>> | null;
  /** Data fields, without _id and _cdc. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export const ABSENT: StoredState = { exists: false, version: null, deleted: false, hashes: null, fields: {} };

export function storedState(doc: Record<string, unknown> | undefined): StoredState {
  if (!doc) return ABSENT;
  const fields = Object.fromEntries(
    Object.entries(doc).filter(([field]) => field !== '_id' && field !== META),
  );
  const cdc = readMeta(doc[META]);
  return {
    exists: true,
    version: cdc ? { commitLsn: cdc.lsn, seq: cdc.seq } : null,
    deleted: cdc?.deleted === true,
    hashes: cdc?.h ?? (cdc ? {} : null),
    fields,
  };
}

function readMeta(meta: unknown): CdcMeta | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { lsn, seq, h, deleted } = meta as Record<string, unknown>;
  const lsnBig = toBigInt(lsn);
  const seqBig = toBigInt(seq);
  if (lsnBig === undefined || seqBig === undefined) return undefined;
  return {
    lsn: lsnBig,
    seq: seqBig,
    ...(typeof h === 'object' && h !== null ? { h: h as Record<string, string> } : {}),
    ...(deleted === true ? { deleted: true as const } : {}),
  };
}

// Someone may have written the version through a client without useBigInt64.
function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { _bsontype?: unknown })._bsontype === 'Long'
  ) {
    return BigInt((value as { toString(): string }).toString());
  }
  return undefined;
}

export function isOlder(stored: EventVersion | null, version: EventVersion): boolean {
  return stored === null || compareVersions(stored, version) < 0;
}

/**
 * Matches the document only while what it holds is older than `version`. Upserting with it, an
 * equal or newer document makes the insert collide on _id (E11000): the write is stale.
 */
export function olderThan(version: EventVersion): Record<string, unknown> {
  return {
    $or: [
      { [META]: { $exists: false } },
      { [`${META}.lsn`]: { $lt: version.commitLsn } },
      { [`${META}.lsn`]: version.commitLsn, [`${META}.seq`]: { $lt: version.seq } },
    ],
  };
}

export function versionGuard(id: DocumentKey, version: EventVersion): Record<string, unknown> {
  return { _id: id, ...olderThan(version) };
}

// The driver's Filter type cannot follow a union-typed _id through $in and $ne.
export function idIn(ids: readonly DocumentKey[]): Filter<TargetDocument> {
  return { _id: { $in: ids } } as unknown as Filter<TargetDocument>;
}

export function idNot(id: DocumentKey): Filter<TargetDocument> {
  return { _id: { $ne: id } } as unknown as Filter<TargetDocument>;
}
