import { CdcError, errorMessage } from '@cdc/core';

// Replies that describe the server's state, not the command: the same write succeeds later.
const SERVER_STATE =
  /^(OOM|BUSY|LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|NOSCRIPT)\b/;

/** A reply error that refuses this command for this key (WRONGTYPE, a bad argument): retrying cannot help. */
export function isRefusal(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError' && !SERVER_STATE.test(error.message);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Anything but a refusal: the server is away, slow, or busy. The runtime retries the batch. */
export function unavailable(where: string, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  return new CdcError('REDIS_UNAVAILABLE', `Redis at ${where} could not be written: ${errorMessage(error)}`, {
    retriable: true,
    fix: 'start Redis or correct the sink url (env REDIS_URL); the batch is retried with back-off',
    cause: error,
  });
}
