import {
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoWriteConcernError,
  type MongoBulkWriteError,
} from 'mongodb';
import { CdcError, errorMessage } from '@cdc/core';

export const DUPLICATE_KEY = 11000;

// Server codes that mean "not now" (a primary stepping down, a shutdown, a timeout), not "never".
const TRANSIENT_CODES = new Set([
  6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 50, 64, 112, 133, 134, 150, 251,
]);

export function isTransient(error: unknown): boolean {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoOperationTimeoutError || error instanceof MongoWriteConcernError) return true;
  if (!(error instanceof MongoError)) return false;
  if (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('TransientTransactionError'))
    return true;
  return typeof error.code === 'number' && TRANSIENT_CODES.has(error.code);
}

/** The whole batch could not be written: say whether trying again may help. */
export function batchFailure(sink: string, what: string, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  const retriable = isTransient(error);
  return new CdcError('SINK_WRITE_FAILED', `mongodb sink ${sink}: ${what}: ${errorMessage(error)}`, {
    retriable,
    fix: retriable
      ? 'check that the MongoDB server is up and reachable (the batch is retried)'
      : 'check the permissions and settings of the MongoDB user and database',
    cause: error,
  });
}

/** The first write error of a failed bulk write: its code and the server's message. */
export function firstWriteError(error: MongoBulkWriteError): { code: number | undefined; message: string } {
  const [first] = [error.writeErrors].flat();
  if (first) return { code: first.code, message: first.errmsg ?? error.message };
  return { code: typeof error.code === 'number' ? error.code : undefined, message: error.message };
}
