/**
 * Notion's error answers. Body shape and codes from https://developers.notion.com/reference/status-codes:
 * `{ "object": "error", "status", "code", "message", "request_id" }`.
 */
export type NotionErrorCode =
  | 'invalid_json'
  | 'invalid_request_url'
  | 'invalid_request'
  | 'validation_error'
  | 'missing_version'
  | 'unauthorized'
  | 'restricted_resource'
  | 'object_not_found'
  | 'conflict_error'
  | 'rate_limited'
  | 'internal_server_error'
  | 'service_unavailable'
  | 'gateway_timeout'
  | 'service_overload';

export class NotionError extends Error {
  readonly status: number;
  readonly code: NotionErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: NotionErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function errorBody(error: NotionError, requestId: string) {
  return {
    object: 'error',
    status: error.status,
    code: error.code,
    message: error.message,
    request_id: requestId,
  };
}

/** A 400 validation_error whose message names the failing field as Notion does: `body.x.y ...`. */
export function invalid(message: string): NotionError {
  return new NotionError(400, 'validation_error', message);
}

/** Valid Notion requests this emulator does not model: `invalid_request` is Notion's "not supported". */
export function unsupported(what: string): NotionError {
  return new NotionError(
    400,
    'invalid_request',
    `Unsupported request: ${what} is not supported by the Notion emulator.`,
  );
}

export function notFound(kind: 'page' | 'database' | 'data_source' | 'user', id: string): NotionError {
  return new NotionError(
    404,
    'object_not_found',
    `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
  );
}

/**
 * The code for an injected 5xx: the pairs the status-codes page lists. Other statuses (502, ...) are not
 * on it, so they get internal_server_error rather than a code we would have to make up.
 */
export function serverErrorCode(status: number): NotionErrorCode {
  switch (status) {
    case 503:
      return 'service_unavailable';
    case 504:
      return 'gateway_timeout';
    case 529:
      return 'service_overload';
    default:
      return 'internal_server_error';
  }
}
