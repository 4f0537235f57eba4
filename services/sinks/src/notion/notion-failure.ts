import { CdcError, NeedsOperatorError, reasonOf } from '@cdc/core';
import type { HttpResponse, HttpVerdict } from '../http/http-failure.ts';

/**
 * What Notion's error answers mean for the sink (https://developers.notion.com/reference/status-codes).
 * HttpTarget turns every answer into HTTP_TARGET_UNAVAILABLE (retriable: 429 rate_limited, 5xx,
 * 529 service_overload, a network failure or timeout; a Retry-After pauses the request budget)
 * or HTTP_TARGET_REFUSED; here a refusal becomes what it means for Notion: the token or the
 * sharing is wrong (only an operator helps), or one page was refused (its events fail).
 */

/** Notion's error body: `{ object: 'error', status, code, message }`. */
export interface NotionErrorBody {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Notion's reading of its answers where it differs from HttpTarget's: 409 conflict_error is worth retrying. */
export function classifyNotionAnswer(response: HttpResponse): HttpVerdict | undefined {
  // "conflict_error: The transaction could not be completed, potentially due to a data collision."
  return response.status === 409 ? 'retriable' : undefined;
}

/** The Notion error a failed request carries, if it got one. */
export function notionErrorOf(error: unknown): NotionErrorBody | undefined {
  if (!(error instanceof CdcError)) return undefined;
  const { status, body } = error.details;
  if (typeof status !== 'number') return undefined;
  try {
    const parsed = JSON.parse(typeof body === 'string' ? body : '') as { code?: unknown; message?: unknown };
    return {
      status,
      code: typeof parsed.code === 'string' ? parsed.code : 'unknown',
      message: typeof parsed.message === 'string' ? parsed.message : '',
    };
  } catch {
    return { status, code: 'unknown', message: typeof body === 'string' ? body.slice(0, 500) : '' };
  }
}

/** Where the failure happened, for the words of the errors made of it. */
export interface FailurePlace {
  /** The sink's entry (`sinks[0]`). */
  readonly path: string;
}

/**
 * The error a failed request stands for, in Notion's words. 401 and 403 refuse the sink itself:
 * a NeedsOperatorError that says to check the token and the sharing. Everything else as it came.
 */
export function notionFailure(error: unknown, place: FailurePlace): unknown {
  const notion = notionErrorOf(error);
  if (!notion || (notion.status !== 401 && notion.status !== 403)) return translatedClientError(error);
  const what =
    notion.status === 401
      ? 'Notion refused the token'
      : 'Notion refused the integration access to a page or data source';
  return new NeedsOperatorError(
    'HTTP_TARGET_MISCONFIGURED',
    `${what} of ${place.path}.token: ${notion.status} ${notion.code}: ${notion.message}`,
    {
      fix:
        notion.status === 401
          ? `put the integration's secret (ntn_..., https://www.notion.so/profile/integrations) in ${place.path}.token, then start the sink again`
          : `share every database of ${place.path}.tables with the integration (in Notion: ••• > Connections > add it), ` +
            'and give it the capabilities to read, update and insert content; then start the sink again',
      details: { status: notion.status, code: notion.code },
      cause: error,
    },
  );
}

// The SDK's own failures: its timer (ours fires first, but a stalled body may not) and an answer that is no JSON.
function translatedClientError(error: unknown): unknown {
  if (error instanceof CdcError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'RequestTimeoutError' || error instanceof SyntaxError) {
    return new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      `Notion did not answer in time or in JSON: ${reasonOf(error)}`,
      {
        retriable: true,
        cause: error,
      },
    );
  }
  return error;
}

/** A refusal of one page's write as a dead letter's reason: which page and Notion's message. */
export function refusalReason(what: string, error: unknown): string {
  const notion = notionErrorOf(error);
  if (!notion) return `Notion refused ${what}: ${reasonOf(error)}`;
  return `Notion refused ${what}: ${notion.status} ${notion.code}: ${notion.message}`;
}

/** Whether a failure refuses one request for good (its events fail) rather than the batch or the sink. */
export function refusesRequest(error: unknown): boolean {
  return (
    error instanceof CdcError && error.code === 'HTTP_TARGET_REFUSED' && notionErrorOf(error)?.status !== 404
  );
}

/** Whether Notion says the object is not there (or not shared with the integration). */
export function isNotFound(error: unknown): boolean {
  return notionErrorOf(error)?.status === 404;
}
