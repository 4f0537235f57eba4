import { CdcError } from './errors.ts';

/**
 * A failure only an operator can fix (a credential, a privilege, a topic with too few
 * partitions): waiting cannot cure it, so the service stops and says how to fix it. The CLI exits
 * 75, since a restart after the fix does help.
 */
export class NeedsOperatorError extends CdcError {
  constructor(
    code: string,
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
