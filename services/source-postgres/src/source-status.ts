import { formatDelay, type ErrorCode, type FailureCounts } from '@cdc/core';
import type { Outage } from './reconnect-loop.ts';
import type { PrepareResult } from './snapshot/snapshotter.ts';
import type { ChangeStreamCounters, ChangeStreamMetrics } from './stream/stream-progress.ts';

/**
 * preflight and snapshot: the first start; streaming; reconnecting: waiting out a transient
 * failure (retrying with back-off, until it streams again); stopped; failed: ended by a failure
 * that needs an operator or that we do not know.
 */
export type SourcePhase = 'preflight' | 'snapshot' | 'streaming' | 'reconnecting' | 'stopped' | 'failed';

/** While the source reconnects: what it waits for, and when it tries again. */
export interface ReconnectStatus {
  /** The failure being waited out, in the pipeline file's words. */
  readonly reason: string;
  /** Its error code (docs/error-codes.md); undefined when it has none. */
  readonly code: ErrorCode | undefined;
  /** The attempt under way or next; 1 is the first after the failure (or the first start). */
  readonly attempt: number;
  /** When the outage began (ISO 8601). */
  readonly since: string;
  /** When the next attempt starts (ISO 8601); undefined while one is under way. */
  readonly nextAttemptAt: string | undefined;
}

export interface SourceStatus {
  phase: SourcePhase;
  /** Why /ready answers 503, in words; undefined while streaming. */
  notReady: string | undefined;
  /** Set while reconnecting. */
  reconnect: ReconnectStatus | undefined;
  /** Outages waited out since the start (each ended with streaming again). */
  reconnects: number;
  /** Failed attempts since the start by error code (UNCLASSIFIED: none), the final failure included. */
  failuresByCode: FailureCounts;
  snapshot: PrepareResult | undefined;
  /** Totals over every connection since the start. */
  counters: ChangeStreamCounters | undefined;
  metrics: ChangeStreamMetrics | undefined;
  lastError: string | undefined;
}

export function reconnectStatus(outage: Outage | undefined): ReconnectStatus | undefined {
  if (!outage) return undefined;
  return {
    reason: outage.reason,
    code: outage.code,
    attempt: outage.attempt,
    since: new Date(outage.sinceMs).toISOString(),
    nextAttemptAt: outage.retryAtMs === undefined ? undefined : new Date(outage.retryAtMs).toISOString(),
  };
}

/** "<reason>; retrying in 4 s (attempt 3)", as the log line of a retry says it. */
export function describeRetry(reason: string, attempt: number, delayMs: number): string {
  return `${reason}; retrying in ${formatDelay(delayMs)} (attempt ${attempt})`;
}

/** What /ready says while the source is not streaming. */
export function notReadyReason(
  phase: SourcePhase,
  context: { outage: Outage | undefined; stopReason: string | undefined; lastError: string | undefined },
  nowMs: number = Date.now(),
): string | undefined {
  switch (phase) {
    case 'streaming':
      return undefined;
    case 'preflight':
      return 'checking the database (preflight)';
    case 'snapshot':
      return 'taking the snapshot';
    case 'reconnecting': {
      const { outage } = context;
      if (!outage) return 'reconnecting';
      if (outage.retryAtMs === undefined) return `${outage.reason}; reconnecting (attempt ${outage.attempt})`;
      return describeRetry(outage.reason, outage.attempt, Math.max(0, outage.retryAtMs - nowMs));
    }
    case 'stopped':
      return `stopped${context.stopReason && context.stopReason !== 'stopped' ? `: ${context.stopReason}` : ''}`;
    case 'failed':
      return `failed: ${context.lastError ?? 'unknown error'}`;
  }
}
