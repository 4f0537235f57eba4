import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { CdcError, NeedsOperatorError, errorMessage } from '@cdc/core';
import type { SourceConfig } from './config.ts';
import { sourceEndpoints } from './failures.ts';
import { pgFailure } from './pg-failure.ts';

/**
 * A connection to the source database. Failing to connect is classified (pg-failure.ts): a
 * server that is away or starting is retriable, one that refuses us (or that we cannot make
 * sense of) needs an operator.
 */
export async function connectToSource(config: SourceConfig): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.database.url, connectionTimeoutMillis: 5000 });
  // A connection that breaks while idle emits 'error'; without a listener that would end the
  // process. The next query on it fails, and its caller reports that.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const postgres = sourceEndpoints(config).postgres;
    throw (
      pgFailure(postgres, error, 'connecting') ??
      new NeedsOperatorError('DATABASE_REFUSED', `cannot connect to ${postgres}: ${errorMessage(error)}`, {
        fix: 'check source.database.url (or CDC_PG_URL): its host, port, database and TLS settings',
        cause: error,
      })
    );
  }
  return client;
}

/**
 * After a crash (kill -9, lost host, a connection cut) PostgreSQL notices the dead replication
 * connection only a moment later; until then the slot is active and cannot be streamed from.
 * Waits up to `timeoutMs` for that, then fails retriable (SLOT_IN_USE), naming the holder; stops
 * waiting when `signal` is aborted. Resolves whether the slot exists.
 */
export async function waitForSlotRelease(
  config: SourceConfig,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const client = await connectToSource(config);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ pid: number | null }>(
        'select active_pid as pid from pg_replication_slots where slot_name = $1',
        [config.slot],
      );
      if (rows.length === 0) return false;
      const pid = rows[0]!.pid;
      if (pid === null || signal?.aborted) return true;
      if (Date.now() > deadline) {
        throw new CdcError(
          'SLOT_IN_USE',
          `${sourceEndpoints(config).postgres}: slot ${config.slot} is still held by server process ${pid} ` +
            `(the connection of a source that died, until PostgreSQL notices, or another source streaming from it)`,
          {
            retriable: true,
            fix: `stop the other source reading slot ${config.slot}, or end it: select pg_terminate_backend(${pid});`,
            details: { slot: config.slot, pid },
          },
        );
      }
      await sleep(200);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
