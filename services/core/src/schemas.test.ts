import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';

const schemasDir = fileURLToPath(new URL('../../../schemas/', import.meta.url));

async function loadSchema(file: string): Promise<avro.Type> {
  return avro.Type.forSchema(JSON.parse(await readFile(`${schemasDir}${file}`, 'utf8')) as avro.Schema, {
    assertLogicalTypes: true,
  });
}

describe('schemas/', () => {
  it('holds only schemas that avsc accepts', async () => {
    const files = (await readdir(schemasDir)).filter((file) => file.endsWith('.avsc'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) await expect(loadSchema(file)).resolves.toBeDefined();
  });

  it('gives the change-event source block every field of the contract', async () => {
    const type = (await loadSchema('change-event-source.avsc')) as avro.types.RecordType;
    expect(type.fields.map((field) => field.name).sort()).toEqual(
      [
        'version',
        'connector',
        'name',
        'db',
        'schema',
        'table',
        'txId',
        'lsn',
        'commit_lsn',
        'seq',
        'ts_ms',
        'snapshot',
      ].sort(),
    );
    const source = {
      version: '0.1.0',
      connector: 'postgresql',
      name: 'cdc',
      ts_ms: 1_764_000_000_000,
      snapshot: 'false',
      db: 'cdc',
      schema: 'public',
      table: 'patients',
      txId: 771,
      lsn: 24_023_128,
      commit_lsn: 24_023_200,
      seq: 3,
    };
    expect(type.fromBuffer(type.toBuffer(source))).toEqual(source);
  });
});
