import { redactUrl } from './redact.ts';

/**
 * Replication slots that no process streams from. PostgreSQL keeps every WAL segment a slot may
 * still need, active or not, so a slot left behind (a demo, a removed pipeline) fills the disk of
 * a busy database: the first failure mode of CDC systems in our design notes. `cdc stack status`
 * and the source's preflight list them with the WAL each retains and the command that drops it.
 */

/** The one method of a pg.Client these reads need. */
export interface SlotQueryClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface InactiveSlot {
  readonly name: string;
  /** The database of a logical slot; null for a physical one. */
  readonly database: string | null;
  readonly type: string;
  /** WAL it keeps: pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn); null when it reserves none. */
  readonly retainedBytes: number | null;
  /** retainedBytes for people, e.g. '2.3 GB'; 'none' when it reserves none. */
  readonly retained: string;
  /** pg_replication_slots.wal_status: reserved, extended, unreserved or lost. */
  readonly walStatus: string | null;
  /** The exact command that drops it, through psql. */
  readonly dropCommand: string;
}

interface SlotRow {
  name: string;
  database: string | null;
  type: string;
  retained: string | null;
  wal_status: string | null;
}

/**
 * The server's inactive slots (every database's), biggest WAL first; `except` leaves one out
 * (a source's own slot, which it is about to stream from). `url` is where the drop command
 * connects: any database of the server will do, and its password is left out of the command.
 */
export async function inactiveSlots(
  client: SlotQueryClient,
  url: string,
  options: { readonly except?: string } = {},
): Promise<InactiveSlot[]> {
  const { rows } = await client.query(
    `select slot_name::text as name, database::text as database, slot_type as type, wal_status,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text as retained
       from pg_replication_slots
      where not active and slot_name <> $1
      order by pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) desc nulls last, slot_name`,
    [options.except ?? ''],
  );
  return (rows as SlotRow[]).map((row) => {
    const retainedBytes = row.retained === null ? null : Number(row.retained);
    return {
      name: row.name,
      database: row.database,
      type: row.type,
      retainedBytes,
      retained: retainedBytes === null ? 'none' : formatBytes(retainedBytes),
      walStatus: row.wal_status,
      dropCommand: dropSlotCommand(url, row.name),
    };
  });
}

/** How far one slot is behind the server's WAL. */
export interface SlotPositions {
  /** pg_current_wal_lsn() - confirmed_flush_lsn: WAL its consumer has not confirmed; undefined while it has no confirmed position. */
  readonly lagBytes: number | undefined;
  /** pg_current_wal_lsn() - restart_lsn: WAL the server keeps for it; undefined when it reserves none. */
  readonly retainedBytes: number | undefined;
}

/** The positions of `slot`, in one query; undefined when there is no such slot. */
export async function slotPositions(
  client: SlotQueryClient,
  slot: string,
): Promise<SlotPositions | undefined> {
  const { rows } = await client.query(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text as retained
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  const row = rows[0] as { lag: string | null; retained: string | null } | undefined;
  if (!row) return undefined;
  const bytes = (text: string | null) => (text === null ? undefined : Number(text));
  return { lagBytes: bytes(row.lag), retainedBytes: bytes(row.retained) };
}

/** One line for people: which slot, where, and how much WAL it holds back. */
export function describeInactiveSlot(slot: InactiveSlot): string {
  const where =
    slot.database === null ? `${slot.type} slot` : `${slot.type} slot of database ${slot.database}`;
  const lost = slot.walStatus === 'lost' ? ', lost (its WAL is gone: nothing can stream from it)' : '';
  const holds = slot.retainedBytes === null ? 'reserves no WAL' : `retains ${slot.retained} of WAL`;
  return `replication slot ${slot.name} (${where}) is inactive and ${holds}${lost}`;
}

/** psql with the URL (its password left out: psql asks, or reads PGPASSWORD or ~/.pgpass). */
export function dropSlotCommand(url: string, slot: string): string {
  const sql = `select pg_drop_replication_slot('${slot.replaceAll("'", "''")}')`;
  // Slot names are lower-case letters, digits and underscores (PostgreSQL allows no others), so
  // the statement reads best in double quotes; anything else is quoted the safe way.
  const quoted = /^[a-z0-9_]+$/u.test(slot) ? `"${sql}"` : shellQuote(sql);
  return `psql ${shellQuote(withoutPassword(url))} -c ${quoted}`;
}

/** Bytes in PostgreSQL's units (pg_size_pretty's: 1024-based kB, MB, GB, TB), one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['kB', 'MB', 'GB', 'TB'];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return redactUrl(url);
  }
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/u.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
