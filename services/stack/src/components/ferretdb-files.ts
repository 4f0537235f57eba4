import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Removes the SQLite files in FerretDB's folder that hold no table at all, and returns their names.
 *
 * FerretDB 1.24 can crash (SIGBUS, seen when a database is dropped while another connection still
 * reads it) between creating a database's file and creating its metadata table; it then refuses to
 * start at all ("no such table: _ferretdb_collections"), without naming the file. A file without
 * tables holds no data, so removing it loses nothing and lets the server start. Files SQLite cannot
 * read are left alone: FerretDB reports those itself.
 */
export async function removeEmptyDatabases(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.sqlite')) continue;
    const file = join(dir, name);
    if (tableCount(file) !== 0) continue;
    await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(file + suffix, { force: true })));
    removed.push(name);
  }
  return removed;
}

function tableCount(file: string): number | undefined {
  let db: DatabaseSync | undefined;
  try {
    // Not read-only: a read-only connection cannot remove the WAL files it creates on close.
    db = new DatabaseSync(file);
    const row = db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number } | undefined;
    return row?.n;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}
