import { errorCodeSpec, type ErrorCode } from './error-codes.ts';

/**
 * The one error type of the project. `code` is one of ERROR_CODES (error-codes.ts); `retriable`
 * tells the caller whether trying again can help (a server that is still starting) or not (a
 * missing program, a bad setting); `fix` tells the operator what to do about it. Both default to
 * the code's entry in the table; what the call site says wins.
 */
export class CdcError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      retriable?: boolean;
      fix?: string;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CdcError';
    this.code = code;
    // A code that escaped the type (read from elsewhere) gets no defaults, rather than a crash.
    const spec = errorCodeSpec(code);
    this.retriable = options.retriable ?? spec?.retriable ?? false;
    this.fix = options.fix ?? spec?.fix;
    this.details = options.details ?? {};
  }

  /** The message followed by the fix, as shown to an operator. */
  describe(): string {
    return this.fix ? `${this.message}\n  fix: ${this.fix}` : this.message;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof CdcError) return error.describe();
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(errorMessage).join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** One error of a chain, with the fields classifiers look at. */
export type ErrorLink = { readonly [field: string]: unknown };

/**
 * The error and everything it wraps, outermost first: `cause`, kafkajs' `originalError`, and an
 * aggregate's `errors` (clients wrap the socket error that says what really happened). Each
 * object once, so a cycle ends.
 */
export function* errorChain(error: unknown): Generator<ErrorLink> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const link = queue.shift();
    if (link === null || typeof link !== 'object' || seen.has(link)) continue;
    seen.add(link);
    yield link as ErrorLink;
    const { cause, errors, originalError } = link as ErrorLink;
    queue.push(cause, originalError);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
}
