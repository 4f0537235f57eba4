import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CdcError } from '@cdc/core';
import { describeConfig, loadSourceConfig, parseSourceConfig, sourceConfigSchema } from './config.ts';

/** The problems of a rejected configuration, one `<path>: <problem>` line each. */
function problemsOf(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseSourceConfig(input, env, { onWarning: () => {} });
  } catch (error) {
    expect(error).toBeInstanceOf(CdcError);
    const cdc = error as CdcError;
    expect(cdc.code).toBe('INVALID_CONFIG');
    expect(cdc.retriable).toBe(false);
    expect(cdc.fix).toMatch(/correct the settings/);
    return cdc.details.problems as string[];
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseSourceConfig', () => {
  it('fills every default, and the addresses of the local stack', () => {
    expect(parseSourceConfig({}, {})).toEqual({
      name: 'cdc',
      database: { url: 'postgres://postgres@127.0.0.1:55432/cdc' },
      tables: 'all',
      publication: 'cdc_pub',
      slot: 'cdc_slot',
      envelope: 'cdc',
      snapshot: { mode: 'initial', chunk_rows: 10_000 },
      heartbeat: { interval_ms: 10_000 },
      keyless: { allow: [], key_columns: {} },
      kafka: { brokers: ['127.0.0.1:59092'] },
      registry: { url: 'http://127.0.0.1:58081/apis/ccompat/v7' },
    });
    expect(parseSourceConfig(undefined, {}).name).toBe('cdc');
  });

  it('takes unset addresses from the stack variables, and set ones from the configuration', () => {
    const env = {
      CDC_PG_URL: 'postgres://app:secret@db:5432/shop',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      SCHEMA_REGISTRY_URL: 'https://registry:8081',
    };
    const fromEnv = parseSourceConfig({}, env);
    expect(fromEnv.database.url).toBe(env.CDC_PG_URL);
    expect(fromEnv.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(fromEnv.registry.url).toBe(env.SCHEMA_REGISTRY_URL);
    const explicit = parseSourceConfig(
      {
        database: { url: 'postgresql://other/db' },
        kafka: { brokers: ['k3:1'] },
        registry: { url: 'http://r' },
      },
      env,
    );
    expect(explicit.database.url).toBe('postgresql://other/db');
    expect(explicit.kafka.brokers).toEqual(['k3:1']);
    expect(explicit.registry.url).toBe('http://r');
  });

  it('derives publication and slot from the name unless they are set', () => {
    const derived = parseSourceConfig({ name: 'shop' }, {});
    expect([derived.publication, derived.slot]).toEqual(['shop_pub', 'shop_slot']);
    const set = parseSourceConfig({ name: 'shop', publication: 'Pub One', slot: 'slot_1' }, {});
    expect([set.publication, set.slot]).toEqual(['Pub One', 'slot_1']);
  });

  it('accepts a list of tables and drops repeats', () => {
    const config = parseSourceConfig(
      {
        tables: ['public.patients', ' billing.Invoices ', 'public.patients'],
        keyless: { allow: ['public.patients'] },
      },
      {},
    );
    expect(config.tables).toEqual(['public.patients', 'billing.Invoices']);
  });

  it('names the path and the problem of every bad value at once', () => {
    expect(
      problemsOf({
        name: 'my topics!',
        tables: [],
        slot: 'My-Slot',
        publication: '',
        snapshot: { mode: 'sometimes', chunk_rows: 0 },
        heartbeat: { interval_ms: 50 },
        keyless: { allow: ['patients'] },
        kafka: { brokers: 'k1:9092,k2' },
        registry: { url: 'ftp://registry' },
        database: { url: 'mysql://db' },
      }),
    ).toEqual([
      'source.name: must be 1 to 120 of a-z A-Z 0-9 . _ - (it prefixes Kafka topic names)',
      'source.database.url: must be a postgres: or postgresql: URL such as postgres://postgres@127.0.0.1:55432/cdc',
      "source.tables: must list at least one table, or be 'all'",
      'source.publication: Too small: expected string to have >=1 characters',
      'source.slot: must be 1 to 63 lower-case letters, digits or underscores (PostgreSQL allows no others)',
      'source.snapshot.mode: must be one of initial, never, initial_only, when_needed',
      'source.snapshot.chunk_rows: must be at least 1',
      'source.heartbeat.interval_ms: must be 0 (off) or 100 to 3600000',
      "source.keyless.allow[0]: must be 'schema.table' such as public.patients (names as in the catalog)",
      'source.kafka.brokers[1]: must be host:port such as 127.0.0.1:59092',
      'source.registry.url: must be a http: or https: URL such as http://127.0.0.1:58081/apis/ccompat/v7',
    ]);
  });

  it('explains wrong shapes, unknown settings and fractional numbers', () => {
    expect(problemsOf('source.tables: all')).toEqual(['source: must be a mapping of settings']);
    expect(
      problemsOf({
        tables: 'some',
        snapshot: 3,
        heartbeat: { interval_ms: 1.5 },
        slots: 'x',
        keyless: { alow: [] },
      }),
    ).toEqual([
      "source.tables: must be 'all' or a non-empty list of 'schema.table' names",
      'source.snapshot: must be a mapping of settings',
      'source.heartbeat.interval_ms: must be a whole number of milliseconds',
      'source.keyless.alow: unknown setting; known here: allow, key_columns',
      'source.slots: unknown setting; known here: name, database, tables, publication, slot, envelope, snapshot, heartbeat, keyless, kafka, registry',
    ]);
    expect(problemsOf({ tables: ['public.a.b', `public.${'x'.repeat(64)}`] })).toEqual([
      "source.tables[0]: must be 'schema.table' such as public.patients (names as in the catalog)",
      'source.tables[1]: schema and table names are at most 63 bytes in PostgreSQL',
    ]);
    expect(problemsOf({ snapshot: { chunk_rows: 2_000_000 } })).toEqual([
      'source.snapshot.chunk_rows: must be at most 1000000',
    ]);
  });

  it('checks what derives from other settings', () => {
    expect(problemsOf({ name: 'Shop-EU' })).toEqual([
      "source.slot: the default 'Shop-EU_slot' derived from name is not a valid slot name; set slot explicitly to 1 to 63 lower-case letters, digits or underscores (PostgreSQL allows no others)",
    ]);
    expect(parseSourceConfig({ name: 'Shop-EU', slot: 'shop_eu' }, {}).slot).toBe('shop_eu');
    expect(problemsOf({ tables: ['public.a'], keyless: { allow: ['public.b'] } })).toEqual([
      'source.keyless.allow[0]: public.b is not one of the captured tables; add it to tables or remove it here',
    ]);
    expect(parseSourceConfig({ keyless: { allow: ['public.b'] } }, {}).keyless.allow).toEqual(['public.b']);
  });

  it('reads the message key columns of keyless tables, which captures them without a primary key', () => {
    const config = parseSourceConfig(
      {
        tables: ['public.audit', 'public.events', 'public.log'],
        keyless: { allow: ['public.log'], key_columns: { ' public.events ': ['tenant', 'event_id'] } },
      },
      {},
    );
    // Kept as declared (key-columns.ts puts the key fields in column order).
    expect(config.keyless.key_columns).toEqual({ 'public.events': ['tenant', 'event_id'] });
    // Declaring the key is the opt-in: the table joins allow, the one list every check reads.
    expect(config.keyless.allow).toEqual(['public.log', 'public.events']);
    expect(
      parseSourceConfig({ keyless: { allow: ['public.e'], key_columns: { 'public.e': ['id'] } } }, {}).keyless
        .allow,
    ).toEqual(['public.e']);
  });

  it('names every problem of declared key columns', () => {
    expect(problemsOf({ keyless: { key_columns: ['event_id'] } })).toEqual([
      "source.keyless.key_columns: must map 'schema.table' names to lists of column names",
    ]);
    expect(
      problemsOf({
        keyless: { key_columns: { events: ['id'], 'public.a': [], 'public.b': 'id', 'public.c': [''] } },
      }),
    ).toEqual([
      "source.keyless.key_columns.events: must be 'schema.table' such as public.patients (names as in the catalog)",
      "source.keyless.key_columns['public.a']: must list at least one column",
      "source.keyless.key_columns['public.b']: must be a list of column names",
      "source.keyless.key_columns['public.c'][0]: must not be empty",
    ]);
    expect(
      problemsOf({
        tables: ['public.a'],
        keyless: { key_columns: { 'public.a': ['id', 'id'], 'public.b': ['x'] } },
      }),
    ).toEqual([
      "source.keyless.key_columns['public.a'][1]: id is listed twice; list each key column once",
      "source.keyless.key_columns['public.b']: public.b is not one of the captured tables; add it to tables or remove it here",
    ]);
  });

  it('takes the envelope, cdc unless debezium is asked for, and refuses others', () => {
    expect(parseSourceConfig({}, {}).envelope).toBe('cdc');
    expect(parseSourceConfig({ envelope: 'debezium' }, {}).envelope).toBe('debezium');
    expect(problemsOf({ envelope: 'avro' })).toEqual(['source.envelope: must be cdc or debezium']);
  });

  it('says when a bad value came from a stack variable', () => {
    expect(problemsOf({}, { CDC_PG_URL: 'mysql://db', KAFKA_BROKERS: 'nope' })).toEqual([
      'source.database.url: must be a postgres: or postgresql: URL such as postgres://postgres@127.0.0.1:55432/cdc (taken from the environment variable CDC_PG_URL)',
      'source.kafka.brokers[0]: must be host:port such as 127.0.0.1:59092 (taken from the environment variable KAFKA_BROKERS)',
    ]);
  });

  it('describes every field, for the generated reference', () => {
    const schema = z.toJSONSchema(sourceConfigSchema, { io: 'input', unrepresentable: 'any' });
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, child] of Object.entries(properties)) {
        if (!child.description) undescribed.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
    };
    walk(schema, '');
    expect(undescribed).toEqual([]);
    expect(Object.keys(schema.properties ?? {})).toHaveLength(11);
  });
});

describe('describeConfig', () => {
  it('prints the configuration with passwords hidden', () => {
    const config = parseSourceConfig(
      { registry: { url: 'https://user:token@registry' } },
      {
        CDC_PG_URL: 'postgres://app:s3cret@db/shop',
      },
    );
    const text = describeConfig(config);
    expect(text).toContain('postgres://app:***@db/shop');
    expect(text).toContain('https://user:***@registry');
    expect(text).not.toMatch(/s3cret|token/);
    expect(text).toContain('slot: cdc_slot');
  });
});

describe('loadSourceConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdc-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  async function failure(path: string): Promise<CdcError> {
    const error: unknown = await loadSourceConfig(path, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).code).toBe('INVALID_CONFIG');
    return error as CdcError;
  }

  it('reads the source: section of a pipeline file', async () => {
    const path = await file(
      'pipeline.yaml',
      'source:\n  name: shop\n  tables: [public.orders, public.items]\n  snapshot:\n    mode: never\nsinks: []\n',
    );
    const config = await loadSourceConfig(path, {});
    expect(config).toMatchObject({
      name: 'shop',
      tables: ['public.orders', 'public.items'],
      slot: 'shop_slot',
      snapshot: { mode: 'never', chunk_rows: 10_000 },
    });
  });

  it('uses the defaults without a file, an empty file or a file without source:', async () => {
    expect((await loadSourceConfig(undefined, {})).slot).toBe('cdc_slot');
    expect((await loadSourceConfig(await file('empty.yaml', ''), {})).slot).toBe('cdc_slot');
    expect((await loadSourceConfig(await file('sinks.yaml', 'sinks: []\n'), {})).slot).toBe('cdc_slot');
  });

  it('names a missing file', async () => {
    const error = await failure(join(dir, 'absent.yaml'));
    expect(error.message).toBe(`pipeline file ${join(dir, 'absent.yaml')} not found`);
    expect(error.fix).toMatch(/check the path/);
  });

  it('gives the file, line and column of a YAML syntax error', async () => {
    const path = await file('broken.yaml', 'source:\n  name: shop\n  slot: a: b\n  tables: all\n');
    const error = await failure(path);
    expect(error.message).toMatch(new RegExp(`^${path}:3:\\d+: invalid YAML: `));
    expect(error.fix).toBe(`correct the YAML at line 3 of ${path}`);
    const duplicate = await failure(await file('duplicate.yaml', 'source:\n  name: a\n  name: b\n'));
    expect(duplicate.message).toMatch(/duplicate\.yaml:3:\d+: invalid YAML: Map keys must be unique/);
  });

  it('refuses a file that is not a mapping', async () => {
    const error = await failure(await file('list.yaml', '- source\n'));
    expect(error.message).toMatch(/list\.yaml: a pipeline file must be a mapping with a source: section/);
  });

  it('names the file and the line of each bad value', async () => {
    const path = await file(
      'bad.yaml',
      'source:\n  name: shop\n  snapshot:\n    chunk_rows: -1\n  colour: red\n',
    );
    const error = await failure(path);
    expect(error.message).toBe(
      `invalid source configuration in the source: section of ${path}:\n` +
        '  source.snapshot.chunk_rows (line 4): must be at least 1\n' +
        '  source.colour (line 5): unknown setting; known here: name, database, tables, publication, slot, envelope, snapshot, heartbeat, keyless, kafka, registry',
    );
    expect(error.fix).toBe(`correct the settings listed above in ${path}`);
    expect(error.details.file).toBe(path);
  });
});

describe('the old camelCase spellings, read until the next release', () => {
  function parseCollecting(input: unknown) {
    const warnings: string[] = [];
    const config = parseSourceConfig(input, {}, { onWarning: (warning) => warnings.push(warning) });
    return { config, warnings };
  }

  it('reads chunk_rows and interval_ms without a warning', () => {
    const { config, warnings } = parseCollecting({
      snapshot: { chunk_rows: 500 },
      heartbeat: { interval_ms: 0 },
    });
    expect([config.snapshot.chunk_rows, config.heartbeat.interval_ms]).toEqual([500, 0]);
    expect(warnings).toEqual([]);
    expect(describeConfig(config)).toContain('chunk_rows: 500');
  });

  it('reads chunkRows and intervalMs as the new keys, saying what to write instead', () => {
    const input = { snapshot: { mode: 'never', chunkRows: 500 }, heartbeat: { intervalMs: 0 } };
    const { config, warnings } = parseCollecting(input);
    expect(config.snapshot).toEqual({ mode: 'never', chunk_rows: 500 });
    expect(config.heartbeat).toEqual({ interval_ms: 0 });
    expect(warnings).toEqual([
      'source.snapshot.chunkRows is deprecated: write source.snapshot.chunk_rows; the old spelling goes in the next release',
      'source.heartbeat.intervalMs is deprecated: write source.heartbeat.interval_ms; the old spelling goes in the next release',
    ]);
    expect(input.snapshot).toEqual({ mode: 'never', chunkRows: 500 });
  });

  it('refuses a setting written both ways', () => {
    expect(
      problemsOf({ snapshot: { chunkRows: 500, chunk_rows: 600 }, heartbeat: { intervalMs: 50 } }),
    ).toEqual([
      'source.snapshot.chunkRows: set twice, as chunkRows and as chunk_rows; keep only source.snapshot.chunk_rows (chunkRows is its old spelling)',
      'source.heartbeat.intervalMs: must be 0 (off) or 100 to 3600000',
    ]);
  });

  it('names the file and line of an old spelling, in its warning and in its problems', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-config-'));
    try {
      const path = join(dir, 'old.yaml');
      await writeFile(path, 'source:\n  snapshot:\n    chunkRows: 500\n  heartbeat:\n    intervalMs: 50\n');
      const warnings: string[] = [];
      const error: unknown = await loadSourceConfig(path, {}, { onWarning: (w) => warnings.push(w) }).catch(
        (e: unknown) => e,
      );
      expect((error as CdcError).details.problems).toEqual([
        'source.heartbeat.intervalMs (line 5): must be 0 (off) or 100 to 3600000',
      ]);
      expect(warnings).toEqual([
        `${path}:3: source.snapshot.chunkRows is deprecated: write source.snapshot.chunk_rows; the old spelling goes in the next release`,
        `${path}:5: source.heartbeat.intervalMs is deprecated: write source.heartbeat.interval_ms; the old spelling goes in the next release`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
