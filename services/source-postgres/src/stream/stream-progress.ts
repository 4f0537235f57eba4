import type pg from 'pg';

/** What a stream has done so far; the service sums them over its reconnects (addCounters). */
export interface ChangeStreamCounters {
  eventsSent: number;
  /** Transactions acknowledged, heartbeat-only ones excepted. */
  transactionsAcknowledged: number;
  /** Transactions that held nothing but our heartbeat message: acknowledged, no record sent. */
  heartbeatsAcknowledged: number;
  /** Commit time (ms since the epoch) of the last transaction acknowledged, heartbeats included. */
  lastAcknowledgedCommitTimeMs: number | undefined;
  /** The position the slot was last told is durable, 'X/X'. */
  lastAcknowledgedLsn: string | undefined;
}

export interface ChangeStreamMetrics {
  /** pg_current_wal_lsn() - confirmed_flush_lsn of our slot; undefined while the slot has none. */
  readonly slotLagBytes: number | undefined;
  /** Now - commit time of the last transaction acknowledged; undefined before the first. */
  readonly processingLagMs: number | undefined;
}

export function newCounters(): ChangeStreamCounters {
  return {
    eventsSent: 0,
    transactionsAcknowledged: 0,
    heartbeatsAcknowledged: 0,
    lastAcknowledgedCommitTimeMs: undefined,
    lastAcknowledgedLsn: undefined,
  };
}

/** The counters of two streams one after the other: sums, and the later one's last positions. */
export function addCounters(
  earlier: ChangeStreamCounters,
  later: ChangeStreamCounters,
): ChangeStreamCounters {
  return {
    eventsSent: earlier.eventsSent + later.eventsSent,
    transactionsAcknowledged: earlier.transactionsAcknowledged + later.transactionsAcknowledged,
    heartbeatsAcknowledged: earlier.heartbeatsAcknowledged + later.heartbeatsAcknowledged,
    lastAcknowledgedCommitTimeMs: later.lastAcknowledgedCommitTimeMs ?? earlier.lastAcknowledgedCommitTimeMs,
    lastAcknowledgedLsn: later.lastAcknowledgedLsn ?? earlier.lastAcknowledgedLsn,
  };
}

/** Milliseconds between a commit and `nowMs`, never negative (clocks of two hosts may differ). */
export function processingLag(nowMs: number, commitTimeMs: number | undefined): number | undefined {
  return commitTimeMs === undefined ? undefined : Math.max(0, nowMs - commitTimeMs);
}

/** Slot lag (queried) and processing lag (from the counters). */
export async function readMetrics(
  client: Pick<pg.Client, 'query'>,
  slot: string,
  counters: ChangeStreamCounters,
): Promise<ChangeStreamMetrics> {
  const { rows } = await client.query<{ lag: string | null }>(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  const lag = rows[0]?.lag;
  return {
    slotLagBytes: lag === null || lag === undefined ? undefined : Number(lag),
    processingLagMs: processingLag(Date.now(), counters.lastAcknowledgedCommitTimeMs),
  };
}
