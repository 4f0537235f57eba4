import { MongoServerError } from 'mongodb';
import { META, type TargetCollection } from './stored-document.ts';

const EXPIRE_AT = `${META}.expire_at`;
const NOT_IMPLEMENTED = 238;

/**
 * Delete markers carry `_cdc.expire_at`. A TTL index removes them on MongoDB (its monitor runs
 * about once a minute); FerretDB 1.x has no TTL indexes, so a plain index serves the periodic
 * clean-up instead, which runs on every server so that expiry never depends on which one it is.
 * Returns whether the server expires markers itself.
 */
export async function prepareCollection(collection: TargetCollection): Promise<boolean> {
  try {
    await collection.createIndex({ [EXPIRE_AT]: 1 }, { name: 'cdc_expire_at', expireAfterSeconds: 0 });
    return true;
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== NOT_IMPLEMENTED) throw error;
    await collection.createIndex({ [EXPIRE_AT]: 1 }, { name: 'cdc_expire_at' });
    return false;
  }
}

/** Removes the markers whose retention has passed; returns how many. */
export async function removeExpiredMarkers(collection: TargetCollection, now = new Date()): Promise<number> {
  const { deletedCount } = await collection.deleteMany({ [EXPIRE_AT]: { $lt: now } });
  return deletedCount;
}
