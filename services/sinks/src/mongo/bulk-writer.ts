import { MongoBulkWriteError, type AnyBulkWriteOperation } from 'mongodb';
import { compareVersions, type EventVersion } from '@cdc/core';
import { DUPLICATE_KEY, firstWriteError } from './mongo-errors.ts';
import {
  META,
  idIn,
  storedState,
  type DocumentKey,
  type TargetCollection,
  type TargetDocument,
} from './stored-document.ts';
import { canonicalValue } from '../value-hash.ts';

export interface PlannedWrite {
  readonly id: DocumentKey;
  readonly version: EventVersion;
  readonly model: AnyBulkWriteOperation<TargetDocument>;
  /** Tried alone when `model` did not land (a guarded upsert where `model` is a plain insert). */
  readonly fallback?: AnyBulkWriteOperation<TargetDocument>;
}

export type WriteResult =
  | { readonly kind: 'applied' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'failed'; readonly reason: string };

const APPLIED: WriteResult = { kind: 'applied' };
const STALE: WriteResult = { kind: 'stale' };

/**
 * One unordered bulkWrite for all the documents. Only when it reports errors: one read of the
 * versions tells which writes landed, which lost to a newer version, and which did not run
 * (FerretDB 1.x stops at the first error even unordered, and numbers it 0); those are tried one
 * by one so that each error belongs to its own document. Errors that are not about a document
 * (the server away) are thrown.
 */
export async function writeDocuments(
  collection: TargetCollection,
  writes: readonly PlannedWrite[],
): Promise<WriteResult[]> {
  if (writes.length === 0) return [];
  try {
    await collection.bulkWrite(
      writes.map((w) => w.model),
      { ordered: false },
    );
    return writes.map(() => APPLIED);
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError) || [error.writeErrors].flat().length === 0) throw error;
  }
  const stored = await storedVersions(
    collection,
    writes.map((w) => w.id),
  );
  const results: WriteResult[] = [];
  for (const [i, write] of writes.entries()) {
    const landed = settled(stored[i] ?? null, write.version);
    results.push(landed ?? (await writeOne(collection, write)));
  }
  return results;
}

function settled(stored: EventVersion | null, version: EventVersion): WriteResult | undefined {
  if (stored === null) return undefined;
  const order = compareVersions(stored, version);
  return order === 0 ? APPLIED : order > 0 ? STALE : undefined;
}

async function writeOne(collection: TargetCollection, write: PlannedWrite): Promise<WriteResult> {
  try {
    await collection.bulkWrite([write.fallback ?? write.model], { ordered: true });
    return APPLIED;
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    const { code, message } = firstWriteError(error);
    if (code === DUPLICATE_KEY) {
      // Our guard's collision, or another unique index: only the stored version tells.
      const [stored] = await storedVersions(collection, [write.id]);
      if (stored && compareVersions(stored, write.version) >= 0) return STALE;
      return { kind: 'failed', reason: `${message} (a unique index of the collection refused the document)` };
    }
    return { kind: 'failed', reason: message };
  }
}

async function storedVersions(
  collection: TargetCollection,
  ids: readonly DocumentKey[],
): Promise<(EventVersion | null)[]> {
  const docs = await collection.find(idIn(ids), { projection: { [META]: 1 } }).toArray();
  // _id values come back as equal values, not the same objects: match them by content.
  const found = new Map(docs.map((doc) => [canonicalValue(doc._id), storedState(doc).version]));
  return ids.map((id) => found.get(canonicalValue(id)) ?? null);
}
