import pRetry, { AbortError } from 'p-retry';
import { errorChain } from './errors.ts';
import type { ErrorCode } from './error-codes.ts';
import { codeOf, isTransient, needsOperator, reasonOf } from './failure.ts';
import type { Dependency, Readiness, WaitEvent } from './readiness.ts';

/** Jittered exponential back-off between attempts (p-retry: factor 2, randomized by 1-2x). */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { minMs: 500, maxMs: 10_000 };

/** Where a service reports its waits, and what ends them. */
export interface WaitContext {
  readonly readiness: Readiness;
  /** Aborted when the service stops: every wait ends then. */
  readonly signal: AbortSignal;
  readonly backoff?: Backoff;
  readonly onEvent?: (event: WaitEvent) => void;
}

/** Something a service needs before it serves; `establish` connects or checks, and throws while it cannot. */
export interface Prerequisite {
  readonly dependency: Dependency;
  readonly establish: () => Promise<void>;
}

// Failures that name what is missing, whichever step met them (a topic check that finds Kafka away).
const DEPENDENCY_OF_CODE: Readonly<Partial<Record<ErrorCode, Dependency>>> = {
  KAFKA_UNAVAILABLE: 'kafka',
  TOPIC_MISSING: 'topics',
  REGISTRY_UNREACHABLE: 'registry',
};

export function dependencyOf(error: unknown, fallback: Dependency): Dependency {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && DEPENDENCY_OF_CODE[code as ErrorCode]) || fallback;
}

class Unmet extends Error {
  readonly failures: readonly { readonly dependency: Dependency; readonly error: unknown }[];

  constructor(failures: readonly { readonly dependency: Dependency; readonly error: unknown }[]) {
    super(failures.map((f) => reasonOf(f.error)).join('; '));
    this.failures = failures;
  }
}

/**
 * Establishes every prerequisite, all of them at each attempt (so /ready lists everything that is
 * missing, not only the first), each until it succeeds, with jittered back-off between attempts.
 * Every failure is reported as a wait; a failure only an operator can fix ends it (rejects with
 * that error), and so does the signal (rejects with its reason). Nothing else does.
 */
export async function establishAll(
  prerequisites: readonly Prerequisite[],
  context: WaitContext,
): Promise<void> {
  const pending = new Set(prerequisites);
  let unmet = new Set<Dependency>();
  const backoff = context.backoff ?? DEFAULT_BACKOFF;
  await pRetry(
    async () => {
      const attempted = [...pending];
      // An attempt under way does not hold a stop up: its outcome no longer matters then.
      const results = await untilAborted(
        Promise.allSettled(attempted.map((p) => p.establish())),
        context.signal,
      );
      const failures: { dependency: Dependency; error: unknown }[] = [];
      results.forEach((result, i) => {
        const prerequisite = attempted[i] as Prerequisite;
        if (result.status === 'fulfilled') pending.delete(prerequisite);
        else
          failures.push({
            dependency: dependencyOf(result.reason, prerequisite.dependency),
            error: result.reason,
          });
      });
      const still = new Set(failures.map((f) => f.dependency));
      for (const dependency of unmet) if (!still.has(dependency)) resolved(context, dependency);
      unmet = still;
      const operator = failures.find((f) => needsOperator(f.error));
      if (operator) throw new AbortError(operator.error as Error);
      if (failures.length > 0) throw new Unmet(failures);
    },
    {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: backoff.minMs,
      maxTimeout: backoff.maxMs,
      randomize: true,
      signal: context.signal,
      onFailedAttempt: ({ error, retryDelay }) => {
        for (const failure of (error as Unmet).failures)
          waited(context, failure.dependency, failure.error, retryDelay);
      },
    },
  );
}

export interface RetryOptions extends WaitContext {
  /** What a failure of this operation waits for. */
  readonly dependency: (error: unknown) => Dependency;
  /** Whether to wait and try again; default: transient failures (isTransient). Others are thrown. */
  readonly retryWhen?: (error: unknown) => boolean;
  /** Checked before each attempt: true ends the wait with an AbortError (the partition moved away). */
  readonly giveUp?: () => string | undefined;
}

/**
 * Runs one operation until it succeeds, waiting with jittered back-off while its failures are
 * transient; reports each failed attempt as a wait on its dependency, and the success after one
 * as the dependency's return.
 */
export async function retrying<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const retryWhen = options.retryWhen ?? isTransient;
  const waitedFor = new Set<Dependency>();
  const result = await pRetry(
    async () => {
      const reason = options.giveUp?.();
      if (reason !== undefined) throw new AbortError(reason);
      return operation();
    },
    {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: backoff.minMs,
      maxTimeout: backoff.maxMs,
      randomize: true,
      signal: options.signal,
      shouldRetry: ({ error }) => retryWhen(error),
      // p-retry awaits this before its own delay of `retryDelay`: waiting the rest of a target's
      // Retry-After here means no attempt comes earlier than the target asked.
      onFailedAttempt: async ({ error, retryDelay }) => {
        if (!retryWhen(error)) return;
        const dependency = options.dependency(error);
        waitedFor.add(dependency);
        const asked = retryAfterOf(error) ?? 0;
        waited(options, dependency, error, Math.max(retryDelay, asked));
        if (asked > retryDelay) await pause(asked - retryDelay, options);
      },
    },
  );
  for (const dependency of waitedFor) resolved(options, dependency);
  return result;
}

/**
 * How long a failure asks to be left alone before the next attempt (a target's Retry-After), in
 * ms, read from `details.retryAfterMs` of any error in its chain; the longest wins.
 */
export function retryAfterOf(error: unknown): number | undefined {
  let longest: number | undefined;
  for (const { details } of errorChain(error)) {
    const ms = (details as { retryAfterMs?: unknown } | null | undefined)?.retryAfterMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) longest = Math.max(longest ?? 0, ms);
  }
  return longest;
}

// Checked this often during a long pause, so that a revoked partition does not sit out a whole
// Retry-After before it lets go.
const GIVE_UP_CHECK_MS = 1000;

/**
 * Waits `ms`, or less when the signal aborts or `giveUp` has a reason: it never rejects, so that
 * p-retry's own checks after the callback say why the wait ended.
 */
async function pause(ms: number, options: Pick<RetryOptions, 'signal' | 'giveUp'>): Promise<void> {
  const until = performance.now() + ms;
  while (!options.signal.aborted && options.giveUp?.() === undefined) {
    const left = until - performance.now();
    if (left <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(Math.ceil(left), GIVE_UP_CHECK_MS));
      options.signal.addEventListener('abort', done, { once: true });
    });
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Reports one failed attempt on `dependency` (also for waits that kafkajs' own retries make). */
export function waited(
  context: Pick<WaitContext, 'readiness' | 'onEvent'>,
  dependency: Dependency,
  error: unknown,
  retryInMs: number | undefined,
): void {
  const attempt = context.readiness.wait(dependency, error);
  const [code, reason] = [codeOf(error), reasonOf(error)];
  context.onEvent?.({ kind: 'waiting', for: dependency, code, reason, attempt, retryInMs });
}

/** `dependency` is there: reports its return if it was waited for. */
export function resolved(context: Pick<WaitContext, 'readiness' | 'onEvent'>, dependency: Dependency): void {
  const waitedMs = context.readiness.resolve(dependency);
  if (waitedMs !== undefined) context.onEvent?.({ kind: 'resumed', for: dependency, waitedMs });
}
