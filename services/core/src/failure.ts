import { isErrorCode, type ErrorCode, type OperatorCode } from './error-codes.ts';
import { CdcError, errorChain } from './errors.ts';

/**
 * A failure only an operator can fix (a credential, a privilege, a topic with too few
 * partitions): waiting cannot cure it, so the service stops and says how to fix it. The CLI exits
 * 75, since a restart after the fix does help.
 */
export class NeedsOperatorError extends CdcError {
  constructor(
    code: OperatorCode,
    message: string,
    options: { fix: string; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, { ...options, retriable: true });
    this.name = 'NeedsOperatorError';
  }
}

export function needsOperator(error: unknown): boolean {
  return error instanceof NeedsOperatorError;
}

/** Whether waiting and trying again may cure it: the error says it is retriable, and no operator is needed. */
export function isTransient(error: unknown): boolean {
  return !needsOperator(error) && (error as { retriable?: unknown } | null)?.retriable === true;
}

/** What a service says about a failure while it waits: the message alone (the fix is for exits). */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * The error code of a failure: the outermost one of the table (error-codes.ts) in its chain, so
 * that a client's error wrapped by ours is counted under ours. Undefined when it has none.
 */
export function codeOf(error: unknown): ErrorCode | undefined {
  for (const link of errorChain(error)) if (isErrorCode(link.code)) return link.code;
  return undefined;
}

/** Where failures without a code (an error no classifier knows: likely a bug) are counted. */
export const UNCLASSIFIED = 'UNCLASSIFIED';

/** Failures by code, as /status shows them: `{ "KAFKA_UNAVAILABLE": 12 }`. */
export type FailureCounts = Readonly<Partial<Record<ErrorCode | typeof UNCLASSIFIED, number>>>;

/** Counts failures by code; each failed attempt counts once. */
export class FailureTally {
  readonly #counts = new Map<ErrorCode | typeof UNCLASSIFIED, number>();

  add(failure: unknown): void {
    const code = codeOf(failure) ?? UNCLASSIFIED;
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
  }

  /** The counts so far, codes in alphabetical order. */
  counts(): FailureCounts {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** A code as log lines show it, after what they are about: "waiting for kafka [KAFKA_UNAVAILABLE]: ...". */
export function codeTag(code: ErrorCode | undefined): string {
  return code === undefined ? '' : ` [${code}]`;
}
