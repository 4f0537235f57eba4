import { STATUS_CODES } from 'node:http';
import { CdcError, NeedsOperatorError } from '@cdc/core';
import * as oauth from 'oauth4webapi';
import { MAX_BODY_IN_MESSAGE, requestFailure, shownUrl, verdictOf } from '../http-failure.ts';
import { retryAfterMs } from '../retry-after.ts';
import type { Credentials } from './credentials.ts';
import { DEFAULT_ALGORITHM } from './settings.ts';

/**
 * What the failures of a token request may say about it: where it went and for which client,
 * never the credentials (the `hide` of the credentials scrubs what the server echoed).
 */
export interface TokenEndpoint {
  readonly url: URL;
  /** The auth settings, e.g. `sinks[0].auth`. */
  readonly path: string;
  readonly clientId: string;
}

/**
 * A token request that got no answer, as the HTTP layer words it (requestFailure): retriable,
 * except a TLS certificate not trusted; a request that could not be sent (a port fetch does not
 * allow) is the token URL to correct, since there is no record to dead-letter.
 */
export function unreachable(
  endpoint: TokenEndpoint,
  error: unknown,
  timeout: { readonly ms: number; readonly expired: boolean },
): CdcError {
  const exchange = { target: `${endpoint.path}.token_url`, method: 'POST', url: shownUrl(endpoint.url) };
  if (timeout.expired) {
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `HTTP target ${exchange.target} is unavailable: POST ${exchange.url} got no answer within ${timeout.ms} ms`,
      { retriable: true, details: { ...exchange, timeoutMs: timeout.ms } },
    );
  }
  const failure = requestFailure(exchange, error, timeout.ms);
  if (failure.code !== 'HTTP_TARGET_REFUSED') return failure;
  return new NeedsOperatorError('HTTP_TARGET_MISCONFIGURED', failure.message, {
    fix: `correct ${exchange.target}: it must be the OAuth2 token endpoint of the API`,
    details: failure.details,
    cause: error,
  });
}

/** What an OAuth2 error answer says (RFC 6749 §5.2), or the start of its body when it is not one. */
interface ErrorAnswer {
  readonly error?: string;
  readonly description?: string;
  readonly body?: string;
}

/**
 * The error for a token response oauth4webapi refused (`error`): an error answer, or a 200 that
 * is no token response. 408, 425, 429 and 5xx are retriable (HTTP_TARGET_UNAVAILABLE, with
 * Retry-After as `details.retryAfterMs`); anything else means the request as configured will not
 * get a token, so it needs an operator (HTTP_TARGET_MISCONFIGURED) with the setting to correct.
 */
export async function responseFailure(
  endpoint: TokenEndpoint,
  credentials: Credentials,
  response: Response,
  error: unknown,
  nowMs: number,
): Promise<CdcError> {
  const url = shownUrl(endpoint.url);
  const status = response.status;
  const base = { setting: endpoint.path, tokenUrl: url, clientId: endpoint.clientId, status };
  if (status === 200) {
    // Not the cause: oauth4webapi's errors carry the body, which may hold an access token.
    const why = error instanceof Error ? error.message : String(error);
    return new NeedsOperatorError(
      'HTTP_TARGET_MISCONFIGURED',
      `OAuth2 token endpoint ${url} (${endpoint.path}.token_url) answered 200 without a usable access token: ${credentials.hide(why)}`,
      {
        fix: `check ${endpoint.path}.token_url: it must be the OAuth2 token endpoint of the API, which answers with a Bearer token`,
        details: base,
      },
    );
  }
  const answer = await errorAnswer(response, error);
  const shown = shownAnswer(status, answer, credentials);
  const details = {
    ...base,
    ...(answer.error === undefined ? {} : { error: credentials.hide(answer.error) }),
    ...(answer.description === undefined ? {} : { errorDescription: credentials.hide(answer.description) }),
  };
  if (verdictOf(status) === 'retriable') {
    const retryAfter = retryAfterMs(response.headers.get('retry-after'), nowMs);
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `OAuth2 token endpoint ${url} (${endpoint.path}.token_url) is unavailable: it answered ${shown}`,
      {
        retriable: true,
        details: retryAfter === undefined ? details : { ...details, retryAfterMs: retryAfter },
      },
    );
  }
  return new NeedsOperatorError(
    'HTTP_TARGET_MISCONFIGURED',
    `OAuth2 token endpoint ${url} refused client ${endpoint.clientId} (${endpoint.path}): ${shown}`,
    { fix: fixFor(endpoint, credentials, status, answer.error, response.headers.get('location')), details },
  );
}

async function errorAnswer(response: Response, error: unknown): Promise<ErrorAnswer> {
  if (error instanceof oauth.ResponseBodyError) {
    return {
      error: error.error,
      ...(error.error_description ? { description: error.error_description } : {}),
    };
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // RFC 6750 §3: a 401's challenge may carry the error instead of the body.
    const parameters = error.cause.find((challenge) => challenge.parameters.error)?.parameters;
    if (parameters?.error !== undefined) {
      return {
        error: parameters.error,
        ...(parameters.error_description ? { description: parameters.error_description } : {}),
      };
    }
  }
  const body = response.bodyUsed ? '' : await response.text().catch(() => '');
  return bodyError(body) ?? { body: body.replace(/\s+/gu, ' ').trim().slice(0, MAX_BODY_IN_MESSAGE) };
}

// oauth4webapi reads the error from the body only when no challenge came, and only as
// application/json; servers that send both, or JSON as text/plain, still say why in it.
function bodyError(body: string): ErrorAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { error, error_description: description } = (json ?? {}) as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return undefined;
  return { error, ...(typeof description === 'string' && description !== '' ? { description } : {}) };
}

function shownAnswer(status: number, answer: ErrorAnswer, credentials: Credentials): string {
  const text = STATUS_CODES[status];
  let shown = `${status}${text === undefined ? '' : ` ${text}`}`;
  if (answer.error !== undefined) shown += `, ${answer.error}`;
  if (answer.description !== undefined) shown += `: ${answer.description}`;
  else if (answer.body) shown += `: ${answer.body}`;
  return credentials.hide(shown);
}

function fixFor(
  endpoint: TokenEndpoint,
  credentials: Credentials,
  status: number,
  error: string | undefined,
  location: string | null,
): string {
  const at = endpoint.path;
  const client = endpoint.clientId;
  if (status >= 300 && status <= 399) {
    return `correct ${at}.token_url: the token endpoint answered with a redirect${location ? ` to ${credentials.hide(location)}` : ''}, which the sink does not follow`;
  }
  if (status === 404 || status === 405) {
    return `correct ${at}.token_url: it must be the OAuth2 token endpoint of the API`;
  }
  if (error === 'invalid_scope') return `correct ${at}.scope to scopes the API grants client ${client}`;
  if (error === 'unauthorized_client' || error === 'unsupported_grant_type') {
    return `have the API allow the client_credentials grant for client ${client}, or correct ${at}.client_id`;
  }
  const credentialsRefused =
    error === 'invalid_client' || error === 'invalid_grant' || status === 401 || status === 403;
  if (!credentialsRefused) {
    return `check ${at} (token_url, client_id, credentials, scope) against what the API documents`;
  }
  if (credentials.setting === 'private_key') {
    const key = credentials.keyId === undefined ? '' : ` as key ${credentials.keyId}`;
    return (
      `check that the API has the public key of ${at}.private_key${key} (${credentials.algorithm ?? DEFAULT_ALGORITHM}) for client ${client}, ` +
      `or correct ${at}.private_key, ${at}.key_id or ${at}.client_id; then start the sink again`
    );
  }
  return `correct ${at}.client_secret (the secret the API issued for client ${client}) or ${at}.client_id, then start the sink again`;
}
