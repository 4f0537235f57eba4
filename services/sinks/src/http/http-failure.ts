import { STATUS_CODES } from 'node:http';
import { CdcError, NeedsOperatorError, errorChain, networkProblem, type ErrorLink } from '@cdc/core';
import { retryAfterMs } from './retry-after.ts';

/**
 * What an HTTP outcome means for the request: done; worth trying again; refused for good (this
 * request: dead-letter it); or refusing the sink itself (its credentials: only an operator helps).
 */
export type HttpVerdict = 'ok' | 'retriable' | 'final' | 'operator';

/** An answer as the target gave it; header names in lower case, a repeated header as an array. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A header of an answer (the first, when it came more than once); null when it did not come. */
export function headerOf(response: Pick<HttpResponse, 'headers'>, name: string): string | null {
  const value = response.headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** Which request of which target, as messages may show it: never its headers (they hold secrets). */
export interface HttpExchange {
  /** The target's name (the sink's). */
  readonly target: string;
  readonly method: string;
  /** The URL as shown: see shownUrl. */
  readonly url: string;
}

// 408 Request Timeout, 425 Too Early, 429 Too Many Requests; every 5xx (503, and Notion's 529).
const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);
// The statuses whose Retry-After says when the target takes requests again (RFC 9110 §10.2.3, RFC 6585).
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503, 529]);
// 401 and 407 refuse the sink's credentials: every request would be refused alike.
const OPERATOR_STATUSES: ReadonlySet<number> = new Set([401, 407]);

/** The one classification of HTTP statuses for every HTTP sink (a kind may refine it: HttpTarget's `classify`). */
export function verdictOf(status: number): HttpVerdict {
  if (status >= 200 && status <= 299) return 'ok';
  if (RETRIABLE_STATUSES.has(status) || (status >= 500 && status <= 599)) return 'retriable';
  if (OPERATOR_STATUSES.has(status)) return 'operator';
  return 'final';
}

/** How much of a response body a message carries. */
export const MAX_BODY_IN_MESSAGE = 2000;

/**
 * The error for an answer that is not a success: HTTP_TARGET_UNAVAILABLE (retriable, with the
 * Retry-After of a 429, 503 or 529 as `details.retryAfterMs`), HTTP_TARGET_REFUSED (final; the
 * message carries the response body, which dead letters keep), or HTTP_TARGET_MISCONFIGURED.
 */
export function responseFailure(
  exchange: HttpExchange,
  response: HttpResponse,
  verdict: Exclude<HttpVerdict, 'ok'>,
  nowMs: number,
): CdcError {
  const body = shownBody(response.body);
  const answer = `${response.status}${statusText(response.status)}`;
  const details = { ...exchange, status: response.status, body: response.body.slice(0, MAX_BODY_IN_MESSAGE) };
  const request = `${exchange.method} ${exchange.url}`;
  if (verdict === 'retriable') {
    const retryAfter = RETRY_AFTER_STATUSES.has(response.status)
      ? retryAfterMs(headerOf(response, 'retry-after'), nowMs)
      : undefined;
    const when = retryAfter === undefined ? '' : ` (retry after ${formatMs(retryAfter)})`;
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `HTTP target ${exchange.target} is unavailable: ${request} answered ${answer}${when}${body}`,
      {
        retriable: true,
        details: retryAfter === undefined ? details : { ...details, retryAfterMs: retryAfter },
      },
    );
  }
  if (verdict === 'operator') {
    return new NeedsOperatorError(
      'HTTP_TARGET_MISCONFIGURED',
      `HTTP target ${exchange.target} refused the sink: ${request} answered ${answer}${body}`,
      { fix: `correct the credentials the sink sends to ${exchange.target}, then start it again`, details },
    );
  }
  const redirect = response.status >= 300 && response.status <= 399 ? headerOf(response, 'location') : null;
  return new CdcError(
    'HTTP_TARGET_REFUSED',
    `HTTP target ${exchange.target} refused ${request}: ${answer}` +
      (redirect === null ? '' : ` (redirects are not followed: it points to ${redirect})`) +
      body,
    { details },
  );
}

/**
 * The error for a request that got no answer. Network failures and timeouts are retriable
 * (HTTP_TARGET_UNAVAILABLE); a target that cannot be reached as configured (a TLS certificate
 * not trusted) needs an operator; a request the client would not send (an invalid header value)
 * is refused for good. `timeoutMs` is the target's, for the words of a timeout. The caller
 * handles its own stop first.
 */
export function requestFailure(exchange: HttpExchange, error: unknown, timeoutMs?: number): CdcError {
  const request = `${exchange.method} ${exchange.url}`;
  const timeout = timeoutMs === undefined ? undefined : timeoutWords(error, timeoutMs);
  if (timeout !== undefined) {
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `HTTP target ${exchange.target} is unavailable: ${request} ${timeout}`,
      { retriable: true, details: { ...exchange, timeoutMs }, cause: error },
    );
  }
  const reason = deepestMessage(error);
  if (untrustedCertificate(error)) {
    return new NeedsOperatorError(
      'HTTP_TARGET_MISCONFIGURED',
      `HTTP target ${exchange.target} cannot be reached as configured: ${request} failed: ${reason}`,
      {
        fix: `make the TLS certificate of ${exchange.target} trusted (NODE_EXTRA_CA_CERTS), or correct its url`,
        details: { ...exchange },
        cause: error,
      },
    );
  }
  const network = networkFailure(error);
  if (network !== undefined) {
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `HTTP target ${exchange.target} is unavailable: ${request} failed: ${network}`,
      { retriable: true, details: { ...exchange }, cause: error },
    );
  }
  return new CdcError(
    'HTTP_TARGET_REFUSED',
    `HTTP target ${exchange.target}: ${request} could not be sent: ${reason}`,
    { details: { ...exchange }, cause: error },
  );
}

/**
 * A URL as messages show it: no user or password, no query (API keys travel there) and no
 * fragment; with `origin`, no path either (a webhook URL whose path is its secret).
 */
export function shownUrl(url: URL, shown: 'path' | 'origin' = 'path'): string {
  return shown === 'origin' ? url.origin : `${url.origin}${url.pathname}`;
}

// Socket-level codes: errno names (ECONNRESET), resolver ones (EAI_AGAIN), and undici's own,
// except those that mean the client was asked something it cannot do.
const NETWORK_CODE = /^(?:E[A-Z]+|EAI_[A-Z]+|UND_ERR_[A-Z_]+)$/u;
const LOCAL_UNDICI_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

/** The network problem behind a failed request, in words; undefined when it is not one. */
function networkFailure(error: unknown): string | undefined {
  const link = linkWithCode(error, (code) => NETWORK_CODE.test(code) && !LOCAL_UNDICI_CODES.has(code));
  if (link === undefined) return networkProblem(error);
  return networkProblem(error) ?? (typeof link.message === 'string' ? link.message : String(link.code));
}

/** The first error of the chain (causes included) whose `code` matches. */
function linkWithCode(error: unknown, matches: (code: string) => boolean): ErrorLink | undefined {
  for (const link of errorChain(error)) {
    if (typeof link.code === 'string' && matches(link.code)) return link;
  }
  return undefined;
}

// undici's timeouts (HttpTarget sets them to the target's timeout_ms), in words.
const TIMEOUTS: Readonly<Record<string, (ms: number) => string>> = {
  UND_ERR_CONNECT_TIMEOUT: (ms) => `could not connect within ${ms} ms`,
  UND_ERR_HEADERS_TIMEOUT: (ms) => `got no answer within ${ms} ms`,
  UND_ERR_BODY_TIMEOUT: (ms) => `got an answer whose body stalled for ${ms} ms`,
};

function timeoutWords(error: unknown, timeoutMs: number): string | undefined {
  const link = linkWithCode(error, (code) => Object.hasOwn(TIMEOUTS, code));
  return link === undefined ? undefined : TIMEOUTS[link.code as string]!(timeoutMs);
}

// OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED,
// DEPTH_ZERO_SELF_SIGNED_CERT, ...) and Node's ERR_TLS_CERT_ALTNAME_INVALID.
const CERTIFICATE_CODE = /CERT|UNABLE_TO_(?:GET|VERIFY)|SELF_SIGNED|^ERR_TLS_/u;

function untrustedCertificate(error: unknown): boolean {
  return linkWithCode(error, (code) => CERTIFICATE_CODE.test(code)) !== undefined;
}

function deepestMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (const link of errorChain(error)) {
    if (typeof link.message === 'string' && link.message !== '') message = link.message;
  }
  return message;
}

function statusText(status: number): string {
  const text = STATUS_CODES[status] ?? (status === 529 ? 'Site Overloaded' : undefined);
  return text ? ` ${text}` : '';
}

// One line (log lines and dead-letter headers), at most MAX_BODY_IN_MESSAGE characters of it.
function shownBody(body: string): string {
  const line = body.replace(/\s+/gu, ' ').trim();
  if (line === '') return '';
  return line.length <= MAX_BODY_IN_MESSAGE
    ? `: ${line}`
    : `: ${line.slice(0, MAX_BODY_IN_MESSAGE)}… (${line.length} characters in all)`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
