/**
 * Error answers in the shape the Calendar API documents
 * (https://developers.google.com/workspace/calendar/api/guides/errors):
 * `{ error: { errors: [{ domain, reason, message, locationType?, location? }], code, message, status } }`.
 * The guide's examples show no `status`; live answers of Google APIs carry the canonical code
 * (e.g. UNAUTHENTICATED) beside `code`, and the plan asks for it, so it is added where one exists.
 */
export interface ErrorItem {
  readonly domain: string;
  readonly reason: string;
  readonly message: string;
  readonly locationType?: 'header' | 'parameter';
  readonly location?: string;
}

// Canonical names (google.rpc.Code) for the HTTP codes this emulator answers with. 410 has no
// canonical counterpart, so its answers carry none.
const CANONICAL: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export class CalendarError extends Error {
  readonly code: number;
  readonly item: ErrorItem;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: number, item: ErrorItem, headers: Readonly<Record<string, string>> = {}) {
    super(item.message);
    this.code = code;
    this.item = item;
    this.headers = headers;
  }

  get body(): unknown {
    const status = CANONICAL[this.code];
    return {
      error: {
        errors: [this.item],
        code: this.code,
        message: this.item.message,
        ...(status ? { status } : {}),
      },
    };
  }
}

const global = (reason: string, message: string, extra: Partial<ErrorItem> = {}): ErrorItem => ({
  domain: 'global',
  reason,
  message,
  ...extra,
});

export const errors = {
  /** 400 for a value the API rejects; `message` names the field and what is wrong with it. */
  invalid: (message: string, location?: string) =>
    new CalendarError(
      400,
      global('invalid', message, location ? { locationType: 'parameter', location } : {}),
    ),
  required: (message: string) => new CalendarError(400, global('required', message)),
  parseError: () => new CalendarError(400, global('parseError', 'Parse Error')),
  timeRangeEmpty: (location?: string) =>
    new CalendarError(400, {
      domain: 'calendar',
      reason: 'timeRangeEmpty',
      message: 'The specified time range is empty.',
      ...(location ? { locationType: 'parameter' as const, location } : {}),
    }),
  authError: () =>
    new CalendarError(
      401,
      global('authError', 'Invalid Credentials', { locationType: 'header', location: 'Authorization' }),
      // RFC 6750 section 3: a bearer-protected resource names the failed scheme in WWW-Authenticate.
      { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    ),
  insufficientPermissions: () =>
    new CalendarError(
      403,
      global('insufficientPermissions', 'Request had insufficient authentication scopes.'),
    ),
  // No Retry-After: the guide tells clients to back off exponentially and promises no header, so a
  // sink that waits for one here would wait for nothing at Google.
  rateLimitExceeded: (code: 403 | 429) =>
    new CalendarError(code, {
      domain: 'usageLimits',
      reason: 'rateLimitExceeded',
      message: 'Rate Limit Exceeded',
    }),
  userRateLimitExceeded: () =>
    new CalendarError(403, {
      domain: 'usageLimits',
      reason: 'userRateLimitExceeded',
      message: 'User Rate Limit Exceeded',
    }),
  notFound: () => new CalendarError(404, global('notFound', 'Not Found')),
  duplicate: () => new CalendarError(409, global('duplicate', 'The requested identifier already exists.')),
  deleted: () => new CalendarError(410, global('deleted', 'Resource has been deleted')),
  conditionNotMet: () =>
    new CalendarError(
      412,
      global('conditionNotMet', 'Precondition Failed', { locationType: 'header', location: 'If-Match' }),
    ),
  backendError: (code: number) => new CalendarError(code, global('backendError', 'Backend Error')),
};
