import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { removeEmptyDatabases } from './ferretdb-files.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function database(file: string, sql: string): void {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(sql);
  db.close();
}

describe('FerretDB database files left by a crash', () => {
  it('removes the files without any table (and their WAL files), and keeps the others', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferretdb-files-'));
    database(join(dir, 'demo.sqlite'), 'CREATE TABLE _ferretdb_collections (name TEXT)');
    database(join(dir, 'crashed.sqlite'), 'SELECT 1');
    await writeFile(join(dir, 'crashed.sqlite-wal'), Buffer.alloc(32));
    await writeFile(join(dir, 'zero.sqlite'), '');
    await writeFile(join(dir, 'garbage.sqlite'), 'not a database, but not ours to judge either');
    await writeFile(join(dir, 'notes.txt'), '');

    expect((await removeEmptyDatabases(dir)).sort()).toEqual(['crashed.sqlite', 'zero.sqlite']);
    expect((await readdir(dir)).sort()).toEqual(['demo.sqlite', 'garbage.sqlite', 'notes.txt']);
  });
});
