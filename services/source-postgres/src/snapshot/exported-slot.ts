import pg from 'pg';
import { CdcError, describeEndpoint, errorMessage, isTransient } from '@cdc/core';
import { pgFailure } from '../pg-failure.ts';
import type { Lsn } from '../pgoutput/messages.ts';
import { replicationSessionOptions } from '../stream/replication-connection.ts';

/** A slot just created over the replication protocol, with the snapshot it exported. */
export interface ExportedSlot {
  readonly slot: string;
  /** Where the slot starts: every commit after it is streamed, every one before is in the snapshot. */
  readonly consistentPoint: Lsn;
  /** For SET TRANSACTION SNAPSHOT on other connections. */
  readonly snapshotName: string;
  /** Ends the exported snapshot: call only once every reader has imported it (and finished). */
  close(): Promise<void>;
}

/**
 * Creates the logical slot and exports its snapshot in one step, so the snapshot and the slot's
 * start are the same point: a row committed before it is in the snapshot, a row committed after
 * it is streamed, none is in both or neither. PostgreSQL keeps the snapshot only while this
 * connection stays open and runs no other command, so it is left idle until close().
 */
export async function createExportedSlot(url: string, slot: string): Promise<ExportedSlot> {
  // `replication` is a libpq parameter that pg passes on but its typings do not list.
  const config: pg.ClientConfig & { replication: string } = {
    connectionString: url,
    replication: 'database',
    options: replicationSessionOptions(),
  };
  const client = new pg.Client(config);
  // An error on an idle connection would otherwise be an unhandled 'error' event; the reader
  // learns of it when SET TRANSACTION SNAPSHOT fails (the snapshot is gone with the connection).
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error; // classified by the caller's caller (failures.ts), like any failed connection
  }
  try {
    const { rows } = await client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${pg.escapeIdentifier(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = rows[0]!;
    let closed: Promise<void> | undefined;
    return {
      slot,
      consistentPoint: row.consistent_point,
      snapshotName: row.snapshot_name,
      close: () => (closed ??= client.end().catch(() => undefined)),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    const code = (error as { code?: unknown }).code;
    // 42710: the slot exists (another instance, or a crash we did not detect): an operator decides.
    const exists = code === '42710';
    const transient = !exists && isTransient(pgFailure(describeEndpoint('PostgreSQL', url), error));
    throw new CdcError('SLOT_CREATE_FAILED', `could not create slot ${slot}: ${errorMessage(error)}`, {
      retriable: transient,
      fix: exists
        ? `drop the slot if nothing uses it: SELECT pg_drop_replication_slot('${slot}')`
        : 'run the preflight check (cdc source check): it names the cause and its fix',
      details: { slot, sqlstate: code },
      cause: error,
    });
  }
}
