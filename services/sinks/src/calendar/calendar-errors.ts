import { CdcError, NeedsOperatorError, errorChain } from '@cdc/core';
import { requestFailure } from '../http/http-failure.ts';
import { retryAfterMs } from '../http/retry-after.ts';

/**
 * How Google's answers become the sink's failures
 * (https://developers.google.com/workspace/calendar/api/guides/errors): rate limits (403
 * rateLimitExceeded, userRateLimitExceeded, quotaExceeded, dailyLimitExceeded; 429) and 5xx,
 * network failures and timeouts are worth trying again; 401 and a 403 that refuses access are
 * the operator's to fix (credentials, sharing); any other refusal (400) concerns one event.
 */

/** An error answer of a Google API or of its token endpoint, as read from a GaxiosError. */
export interface GoogleAnswer {
  readonly status: number;
  /** `errors[0].reason` of the API's error body, or the token endpoint's `error`. */
  readonly reason: string | undefined;
  readonly message: string;
  /** The answer came from the OAuth token endpoint (`{ error: 'invalid_grant', error_description }`). */
  readonly fromTokenEndpoint: boolean;
  readonly retryAfterMs: number | undefined;
}

const RATE_LIMIT_REASONS: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);

// 403s that refuse one event's content, not the account: the others refuse the account itself.
const EVENT_REFUSALS: ReadonlySet<string> = new Set([
  'forbiddenForNonOrganizer',
  'forbiddenForServiceAccounts',
]);

interface ErrorBody {
  readonly error?:
    | string
    | {
        readonly message?: string;
        readonly errors?: readonly { readonly reason?: string; readonly message?: string }[];
      };
  readonly error_description?: string;
}

/** The answer a failed request got, if one came. */
export function googleAnswerOf(error: unknown, nowMs = Date.now()): GoogleAnswer | undefined {
  const response = (error as { response?: { status?: unknown; data?: unknown; headers?: unknown } } | null)
    ?.response;
  if (!response || typeof response.status !== 'number') return undefined;
  const body = parseBody(response.data);
  const headers = response.headers as { get?: (name: string) => string | null } | undefined;
  const retryAfter = retryAfterMs(
    typeof headers?.get === 'function' ? headers.get('retry-after') : null,
    nowMs,
  );
  if (typeof body?.error === 'string') {
    return {
      status: response.status,
      reason: body.error,
      message: body.error_description ?? '',
      fromTokenEndpoint: true,
      retryAfterMs: retryAfter,
    };
  }
  const apiError = body?.error;
  const reason = apiError?.errors?.[0]?.reason;
  const message =
    apiError?.message ??
    apiError?.errors?.[0]?.message ??
    (typeof response.data === 'string' ? response.data : '');
  return {
    status: response.status,
    reason,
    message: message.slice(0, 2000),
    fromTokenEndpoint: false,
    retryAfterMs: retryAfter,
  };
}

function parseBody(data: unknown): ErrorBody | undefined {
  if (data && typeof data === 'object') return data;
  if (typeof data !== 'string') return undefined;
  try {
    return JSON.parse(data) as ErrorBody;
  } catch {
    return undefined;
  }
}

export type AnswerKind =
  'rate_limited' | 'unavailable' | 'unauthorized' | 'forbidden' | 'not_found' | 'refused';

/** What an error answer means for the sink. */
export function answerKind(answer: GoogleAnswer): AnswerKind {
  const { status, reason } = answer;
  if (status === 429 || (status === 403 && reason !== undefined && RATE_LIMIT_REASONS.has(reason)))
    return 'rate_limited';
  if (status >= 500 || status === 408) return 'unavailable';
  if (answer.fromTokenEndpoint)
    return status === 400 || status === 401 || status === 403 ? 'unauthorized' : 'refused';
  if (status === 401) return 'unauthorized';
  if (status === 403 && !(reason !== undefined && EVENT_REFUSALS.has(reason))) return 'forbidden';
  // The calls that can miss an event take 404 as an answer; any other 404 misses the calendar.
  if (status === 404) return 'not_found';
  return 'refused';
}

/** Who asks what: the words and fixes of the errors. */
export interface FailureContext {
  /** The sink's name. */
  readonly sink: string;
  /** Where the entry is (`sinks[0]`): fixes name its settings. */
  readonly path: string;
  readonly email: string;
  readonly calendarId: string;
  readonly timeoutMs: number;
}

const answerText = (answer: GoogleAnswer) =>
  `${answer.status}${answer.reason ? ` ${answer.reason}` : ''}${answer.message ? `: ${answer.message}` : ''}`;

/** The sink's error for an error answer to `what` (such as `events.insert of event abc`). */
export function answerFailure(
  answer: GoogleAnswer,
  what: string,
  context: FailureContext,
  pauseMs?: number,
): CdcError {
  const details = {
    status: answer.status,
    reason: answer.reason,
    ...(pauseMs === undefined ? {} : { pauseMs }),
  };
  const said = answerText(answer);
  switch (answerKind(answer)) {
    case 'rate_limited':
      return new CdcError(
        'HTTP_TARGET_UNAVAILABLE',
        `Google Calendar rate-limited sink ${context.sink}: ${what} answered ${said}` +
          (pauseMs === undefined ? '' : `; its requests pause for ${Math.ceil(pauseMs / 100) / 10} s`),
        { retriable: true, details },
      );
    case 'unavailable':
      return new CdcError(
        'HTTP_TARGET_UNAVAILABLE',
        `Google Calendar is unavailable: ${what} answered ${said}`,
        {
          retriable: true,
          details,
        },
      );
    case 'unauthorized':
      return new NeedsOperatorError(
        'HTTP_TARGET_MISCONFIGURED',
        `Google refused the credentials of service account ${context.email} (${context.path}.credentials): ${what} answered ${said}`,
        {
          fix:
            `put a current key of ${context.email} in ${context.path}.credentials (Google Cloud console: IAM, ` +
            'Service accounts, Keys), check that the account is enabled and the machine’s clock is right, then start the sink again',
          details,
        },
      );
    case 'forbidden':
      return new NeedsOperatorError(
        'HTTP_TARGET_MISCONFIGURED',
        `Google Calendar refused service account ${context.email} access to calendar ${context.calendarId}: ${what} answered ${said}`,
        {
          fix:
            `share calendar ${context.calendarId} with ${context.email} with permission to make changes to events ` +
            `(Calendar settings, Share with specific people), and enable the Calendar API in the account’s project; ` +
            `or correct ${context.path}.calendar_id or ${context.path}.credentials`,
          details,
        },
      );
    case 'not_found':
      return new NeedsOperatorError(
        'HTTP_TARGET_MISCONFIGURED',
        `Google Calendar has no calendar ${context.calendarId} that service account ${context.email} can see ` +
          `(${context.path}.calendar_id): ${what} answered ${said}`,
        {
          fix:
            `share calendar ${context.calendarId} with ${context.email} with permission to make changes to events, ` +
            `or correct ${context.path}.calendar_id (Calendar settings, Integrate calendar, Calendar ID)`,
          details,
        },
      );
    case 'refused':
      return new CdcError('HTTP_TARGET_REFUSED', `Google Calendar refused ${what}: ${said}`, { details });
  }
}

/**
 * The sink's error for a request that got no answer: a timeout or a network failure is
 * retriable; anything else (a key that cannot sign) stops the sink rather than dead-letter every
 * event with it.
 */
export function requestFailureOf(
  error: unknown,
  what: string,
  context: FailureContext,
  url: string,
): CdcError {
  for (const link of errorChain(error)) {
    if (link instanceof CdcError) return link;
    if (link.name === 'TimeoutError') {
      return new CdcError(
        'HTTP_TARGET_UNAVAILABLE',
        `Google Calendar is unavailable: ${what} got no answer within ${context.timeoutMs} ms`,
        { retriable: true, cause: error, details: { timeoutMs: context.timeoutMs } },
      );
    }
  }
  const failure = requestFailure(
    { target: `Google Calendar (sink ${context.sink})`, method: what, url },
    error,
  );
  if (failure.retriable || failure.code !== 'HTTP_TARGET_REFUSED') return failure;
  return new NeedsOperatorError(
    'HTTP_TARGET_MISCONFIGURED',
    `sink ${context.sink} could not send ${what}: ${failure.message}`,
    {
      fix: `check ${context.path}.credentials (the service account key JSON) and ${context.path}.url`,
      cause: error,
    },
  );
}
