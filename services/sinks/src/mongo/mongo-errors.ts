import {
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoWriteConcernError,
  type MongoBulkWriteError,
} from 'mongodb';
import { CdcError, NeedsOperatorError, errorMessage, networkProblem } from '@cdc/core';

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

// AuthenticationFailed, Unauthorized, UserNotFound: the server refuses this client, not this write.
const ACCESS_DENIED_CODES = new Set([18, 13, 11]);

function isAccessDenied(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  if (typeof error.code === 'number' && ACCESS_DENIED_CODES.has(error.code)) return true;
  return isAccessDenied(error.cause);
}

/**
 * The whole batch could not be written: say whether trying again may help, or whether only an
 * operator can (credentials, privileges: the sink stops with the fix).
 */
export function batchFailure(sink: string, what: string, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  if (isAccessDenied(error)) {
    return new NeedsOperatorError(
      'MONGO_ACCESS_DENIED',
      `mongodb sink ${sink}: ${what}: ${errorMessage(error)}`,
      {
        fix: 'put credentials in the sink url that the server accepts, with readWrite on the sink database',
        cause: error,
      },
    );
  }
  const retriable = isTransient(error);
  const network = retriable ? networkProblem(error) : undefined;
  const problem = network ? `MongoDB is unreachable: ${network}` : errorMessage(error);
  return new CdcError('SINK_WRITE_FAILED', `mongodb sink ${sink}: ${what}: ${problem}`, {
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
