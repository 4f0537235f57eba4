import pg from 'pg';
import { dropSlotCommand, errorMessage } from '@cdc/core';
import type { SourceConfig } from '@cdc/source-postgres';

/** How long the walsender of the stopped source may take to let go of the slot. */
const RELEASE_TIMEOUT_MS = 15_000;

/**
 * What becomes of the demo's replication slot once its source has stopped. An inactive slot
 * keeps every WAL segment written after it, so a slot left behind by a demo fills the disk of a
 * stack that stays up: it is dropped, with the publication the demo's source made (the demo's
 * database is new each run, so whatever publication it holds is the demo's), unless the user asks
 * to keep them. Returns the line to print.
 */
export async function releaseDemoSlot(source: SourceConfig, keep: boolean): Promise<string> {
  const drop = dropSlotCommand(source.database.url, source.slot);
  if (keep) {
    return (
      `Kept replication slot ${source.slot} and publication ${source.publication} (--keep-slot): ` +
      `the slot retains WAL until it is dropped (the next demo drops it, or: ${drop})`
    );
  }
  const client = new pg.Client({ connectionString: source.database.url });
  try {
    await client.connect();
    const slot = await dropWhenReleased(client, source.slot);
    const publication = await client.query(`select 1 from pg_publication where pubname = $1`, [
      source.publication,
    ]);
    if (publication.rowCount)
      await client.query(`drop publication ${pg.escapeIdentifier(source.publication)}`);
    const dropped = [
      slot && `replication slot ${source.slot}`,
      publication.rowCount && `publication ${source.publication}`,
    ].filter(Boolean);
    return dropped.length > 0
      ? `Dropped ${dropped.join(' and ')} (npm run demo -- --keep-slot keeps them)`
      : `No replication slot ${source.slot} to drop`;
  } catch (error) {
    return `Could not drop replication slot ${source.slot} (${errorMessage(error)}); it retains WAL until dropped: ${drop}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the slot once no process streams from it; false when there is none. */
async function dropWhenReleased(client: pg.Client, slot: string): Promise<boolean> {
  const deadline = Date.now() + RELEASE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query<{ active: boolean }>(
      'select active from pg_replication_slots where slot_name = $1',
      [slot],
    );
    if (rows.length === 0) return false;
    if (!rows[0]!.active) {
      await client.query('select pg_drop_replication_slot($1)', [slot]);
      return true;
    }
    if (Date.now() > deadline) throw new Error(`it is still in use after ${RELEASE_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
