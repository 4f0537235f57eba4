import type pg from 'pg';
import { CdcError, errorMessage } from '@cdc/core';
import type { SourceConfig } from './config.ts';
import {
  ident,
  notAllTables,
  qualifiedName,
  readPublication,
  readSlot,
  readTables,
  slotProblem,
} from './setup-catalog.ts';

export interface EnsureResult {
  publication: { name: string; created: boolean; addedTables: string[] };
  slot: { name: string; created: boolean; consistentLsn?: string };
  /** What was changed, in words for the log; empty when everything was already in place. */
  changes: string[];
}

/**
 * Creates the publication if missing and adds newly listed tables to an existing one; a second
 * run changes nothing. It must exist before the slot: pgoutput reads it through the catalog as
 * of each change, so one created after the slot's start misses the changes before it.
 */
export async function ensurePublication(
  client: pg.Client,
  config: SourceConfig,
): Promise<EnsureResult['publication'] & { changes: string[] }> {
  const name = config.publication;
  const result = { name, created: false, addedTables: [] as string[], changes: [] as string[] };
  const pub = ident(name);
  const target =
    config.tables === 'all' ? 'ALL TABLES' : `TABLE ${config.tables.map(qualifiedName).join(', ')}`;
  if (!(await readPublication(client, name))) {
    result.created = await create(`create publication ${name}`, () =>
      client.query(`CREATE PUBLICATION ${pub} FOR ${target}`),
    );
    if (result.created) result.changes.push(`created publication ${name} FOR ${target}`);
  }
  const publication = (await readPublication(client, name))!;
  const notAll = notAllTables(publication, config);
  if (notAll) throw new CdcError('PUBLICATION_MISMATCH', notAll.message, { fix: notAll.fix });
  if (config.tables !== 'all') {
    const published = (await readTables(client, config)).filter((t) => t.published);
    const missing = config.tables.filter((n) => !published.some((t) => `${t.schema}.${t.name}` === n));
    if (missing.length > 0) {
      await create(`add ${missing.join(', ')} to publication ${name}`, () =>
        client.query(`ALTER PUBLICATION ${pub} ADD TABLE ${missing.map(qualifiedName).join(', ')}`),
      );
      result.addedTables = missing;
      result.changes.push(`added ${missing.join(', ')} to publication ${name}`);
    }
  }
  return result;
}

/**
 * Creates the publication and the slot if missing (see ensurePublication); a second run changes
 * nothing. Call it only once preflight passed: publishing a table without a usable replica
 * identity makes PostgreSQL refuse the application's updates. The slot is made with SQL here;
 * the snapshot creates its slot over the replication protocol instead, to export its snapshot.
 */
export async function ensurePublicationAndSlot(
  client: pg.Client,
  config: SourceConfig,
): Promise<EnsureResult> {
  const slotName = config.slot;
  const { changes, ...publication } = await ensurePublication(client, config);
  const result: EnsureResult = { publication, slot: { name: slotName, created: false }, changes };

  if (!(await readSlot(client, slotName))) {
    // Waits for the transactions already running to end, so that the slot starts at a point
    // from which every later commit is decoded whole.
    result.slot.created = await create(`create slot ${slotName}`, async () => {
      const created = await client.query<{ lsn: string }>(
        `select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')`,
        [slotName],
      );
      result.slot.consistentLsn = created.rows[0]?.lsn;
    });
    if (result.slot.created)
      result.changes.push(`created slot ${slotName} (pgoutput) at ${result.slot.consistentLsn}`);
  }
  const slot = (await readSlot(client, slotName))!;
  const database = (await client.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  const wrong = slotProblem(slot, slotName, database);
  if (wrong) throw new CdcError('SLOT_MISMATCH', wrong.message, { fix: wrong.fix });
  return result;
}

/**
 * Runs a CREATE or ADD; false when another instance made the same object meanwhile, which is
 * the outcome we wanted. Failures say whether a retry can help: lost connections and busy
 * servers, yes; refusals, no.
 */
async function create(what: string, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '42710') return false; // duplicate_object
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    throw new CdcError('SETUP_FAILED', `could not ${what}: ${errorMessage(error)}`, {
      retriable: sqlstate === undefined || /^(08|40|53|57P)/.test(sqlstate),
      fix: 'run the preflight check: it names the cause and its fix',
      details: { sqlstate },
      cause: error,
    });
  }
}
