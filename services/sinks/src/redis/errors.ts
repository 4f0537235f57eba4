import { CdcError, NeedsOperatorError, errorMessage, networkProblem } from '@cdc/core';
import type { RedisTarget } from './client.ts';

// Replies that describe the server's state, not the command: the same write succeeds later.
const SERVER_STATE =
  /^(OOM|BUSY|LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|NOSCRIPT)\b/;
// Replies that refuse this client, not this command: only an operator can change them.
const ACCESS_DENIED = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** A reply error that refuses this command for this key (WRONGTYPE, a bad argument): retrying cannot help. */
export function isRefusal(error: unknown): error is Error {
  return isReplyError(error) && !SERVER_STATE.test(error.message) && !ACCESS_DENIED.test(error.message);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Anything but a refusal of one command: either Redis refuses this client (credentials, ACL
 * permissions; only an operator can fix that, so the sink stops with the fix), or it is away,
 * slow or busy, and the runtime retries the batch.
 */
export function unavailable(target: RedisTarget, error: unknown): CdcError {
  if (error instanceof CdcError) return error;
  const denied = [error, target.connectionError].find(
    (candidate): candidate is Error => isReplyError(candidate) && ACCESS_DENIED.test(candidate.message),
  );
  if (denied) {
    const permission = denied.message.startsWith('NOPERM');
    return new NeedsOperatorError(
      permission ? 'REDIS_PERMISSION' : 'REDIS_AUTH',
      `${target.name} refused this sink: ${denied.message}`,
      {
        fix: permission
          ? 'grant the sink user the commands it runs (ACL SETUSER <user> +@read +@write +@scripting) on its keys'
          : 'put the right user and password in the url (redis://<user>:<password>@host:port)',
        cause: denied,
      },
    );
  }
  const network = networkProblem(target.connectionError) ?? networkProblem(error);
  const message = errorMessage(error);
  const problem = network
    ? `is unreachable: ${network}`
    : isReplyError(error)
      ? `is not ready: ${message}`
      : /timed out/iu.test(message)
        ? 'does not answer: command timed out'
        : error instanceof Error && error.name === 'MaxRetriesPerRequestError'
          ? 'is unreachable'
          : `failed: ${message}`;
  return new CdcError('REDIS_UNAVAILABLE', `${target.name} ${problem}`, {
    retriable: true,
    fix: 'start Redis or correct the sink url (env REDIS_URL); the batch is retried with back-off',
    cause: error,
  });
}
