import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, RegistryCodec, type ChangeEnvelope } from '@cdc/core';
import { headerText, isolate, readTopic, startCli, type CliProcess } from '@cdc/testkit';

// The message key under REPLICA IDENTITY FULL (issue 10): a table with a primary key and FULL
// identity, and a keyless table with declared key columns, captured by the real source and
// written by a Redis and a MongoDB sink, each a process of its own. Every update that keeps the
// key is one `u` keyed by that key, versions grow per key, a primary-key change (2 -> 20) is a
// delete and a create naming each other's key, and `cdc sink verify` is clean for both sinks.
// A Redis sink whose key template leaves out a key field dead-letters (nothing lost, redriven
// after the fix), and `cdc config check` refuses it once the topic's key schema is registered.

const iso = isolate('replica_identity');
const processes: CliProcess[] = [];
let sql: pg.Client;
let url = '';
let file = '';
const topic = (table: string) => `${iso.id}.public.${table}`;
const sink = (name: string) => `${iso.id}-${name}`;
const redisPrefix = iso.redisKey('ri');

afterAll(async () => {
  await Promise.all(processes.map((p) => p.killHard()));
  await sql?.end();
});

function cli(...args: string[]): CliProcess {
  const started = startCli(args);
  processes.push(started);
  return started;
}

/** Runs a cdc command to its end. */
async function cdc(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = startCli(args);
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  return { code, output: run.output() };
}

function pipeline(pairsKey: string): string {
  return iso.pipelineFile({
    source: {
      name: iso.id,
      database: { url },
      tables: ['public.t', 'public.events', 'public.pairs'],
      slot: `${iso.id}_slot`,
      publication: `${iso.id}_pub`,
      keyless: { key_columns: { 'public.events': ['event_id'] } },
    },
    sinks: [
      { name: sink('redis-t'), kind: 'redis', topics: [topic('t')], key: `${redisPrefix}:t:{id}` },
      { name: sink('redis-e'), kind: 'redis', topics: [topic('events')], key: `${redisPrefix}:e:{event_id}` },
      {
        name: sink('mongo'),
        kind: 'mongodb',
        topics: [topic('t'), topic('events')],
        database: iso.mongoDatabase(),
        collection: '{table}',
      },
      { name: sink('redis-pairs'), kind: 'redis', topics: [topic('pairs')], key: pairsKey },
    ],
  });
}

beforeAll(async () => {
  url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query(`
    create table t (id int primary key, note text, qty int);
    alter table t replica identity full;
    create table events (event_id int not null, note text, qty int);
    alter table events replica identity full;
    create table pairs (id int, tenant text, note text, primary key (id, tenant));
    insert into t values (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);
    insert into events values (1, 'x', 1), (2, 'y', 2);
    insert into pairs values (1, 'acme', 'p'), (1, 'globex', 'q')`);
});

interface Decoded {
  readonly message: KafkaMessage;
  readonly key: Record<string, unknown>;
  readonly value: ChangeEnvelope | null;
  readonly version: readonly [bigint, bigint];
}

async function decodeTopic(name: string, count: number): Promise<Decoded[]> {
  const messages = await readTopic(iso.env, name, count, `${iso.id}-read-${name}`);
  const codec = new RegistryCodec(iso.env.SCHEMA_REGISTRY_URL);
  await codec.load(
    messages.flatMap((m) => [m.key, m.value].flatMap((b) => (b ? [RegistryCodec.schemaIdOf(b)] : []))),
  );
  return messages.map((message) => ({
    message,
    key: codec.decode(message.key!).value as Record<string, unknown>,
    value: message.value ? (codec.decode(message.value).value as ChangeEnvelope) : null,
    version: [BigInt(headerText(message, 'cdc.commit_lsn')!), BigInt(headerText(message, 'cdc.seq')!)],
  }));
}

/** Per key, in topic order: each event's version above the last; a tombstone repeats its delete's. */
function expectVersionsGrowPerKey(records: readonly Decoded[]): void {
  const last = new Map<string, readonly [bigint, bigint]>();
  for (const record of records) {
    const key = JSON.stringify(record.key, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const previous = last.get(key);
    const [lsn, seq] = record.version;
    if (record.value === null) {
      expect(record.version, `tombstone of ${key}`).toEqual(previous);
      continue;
    }
    if (previous) {
      const [lastLsn, lastSeq] = previous;
      expect(lsn > lastLsn || (lsn === lastLsn && seq > lastSeq), `version of ${key} grows`).toBe(true);
    }
    last.set(key, record.version);
    expect(record.value.source.seq).toBe(seq);
  }
}

async function verified(...sinks: string[]): Promise<string> {
  let last = '';
  for (const deadline = Date.now() + 180_000; Date.now() < deadline;) {
    const runs = await Promise.all(sinks.map((name) => cdc('sink', 'verify', name, '-c', file)));
    last = runs.map((run) => run.output).join('\n');
    if (runs.every((run) => run.code === 0)) return last;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return last;
}

describe('REPLICA IDENTITY FULL end to end', () => {
  it('keys by the primary key (or the declared columns), one u per update, and loses nothing', async () => {
    file = pipeline(`${redisPrefix}:p:{id}`);
    // Before the source has run no key schema is registered: said plainly, not refused.
    const early = await cdc('config', 'check', '-c', file);
    expect(early.code, early.output).toBe(0);
    expect(early.output).toContain(`not checked: sinks[3].key (line`);
    expect(early.output).toContain(`no key schema is registered for it yet (subject ${topic('pairs')}-key)`);

    const source = cli('source', 'run', '-c', file);
    await source.printed('streaming started');
    const sinks = ['redis-t', 'redis-e', 'mongo', 'redis-pairs'].map((name) =>
      cli('sink', 'run', sink(name), '-c', file),
    );
    await Promise.all(sinks.map((s) => s.printed('consuming')));

    await sql.query(`update t set note = 'a2' where id = 1`);
    await sql.query(`update t set qty = qty + 1 where id = 1`);
    await sql.query(`update t set note = 'b2' where id = 2`);
    await sql.query(`update t set id = 20 where id = 2`); // a primary-key change
    await sql.query(`update t set qty = 9 where id = 20`);
    await sql.query(`delete from t where id = 3`);
    await sql.query(`update events set note = 'x2' where event_id = 1`);
    await sql.query(`update events set qty = 5 where event_id = 1`);
    await sql.query(`update events set event_id = 10 where event_id = 2`); // a declared-key change
    await sql.query(`update pairs set note = 'p2' where id = 1 and tenant = 'acme'`);

    // t: 3 snapshot rows, 4 updates, a key change (d, tombstone, c), a delete (d, tombstone).
    const t = await decodeTopic(topic('t'), 12);
    expect(t.map((r) => [r.value?.op ?? 'tombstone', r.key])).toEqual([
      ['r', { id: 1 }],
      ['r', { id: 2 }],
      ['r', { id: 3 }],
      ['u', { id: 1 }],
      ['u', { id: 1 }],
      ['u', { id: 2 }],
      ['d', { id: 2 }],
      ['tombstone', { id: 2 }],
      ['c', { id: 20 }],
      ['u', { id: 20 }],
      ['d', { id: 3 }],
      ['tombstone', { id: 3 }],
    ]);
    expectVersionsGrowPerKey(t);
    // Under FULL an update carries the whole old row.
    expect(t[3]!.value?.before).toEqual({ id: 1, note: 'a', qty: 1 });
    expect(t[3]!.value?.after).toEqual({ id: 1, note: 'a2', qty: 1 });
    // The key change: delete n and its tombstone, create n + 1, each naming the other key.
    const [deleted, tombstone, created] = [t[6]!, t[7]!, t[8]!];
    expect(deleted.value?.before).toEqual({ id: 2, note: 'b2', qty: 2 });
    expect(created.version).toEqual([deleted.version[0], deleted.version[1] + 1n]);
    expect(tombstone.version).toEqual(deleted.version);
    expect(headerText(deleted.message, 'cdc.newkey')).toBe('{"id":20}');
    expect(headerText(tombstone.message, 'cdc.newkey')).toBe('{"id":20}');
    expect(headerText(created.message, 'cdc.oldkey')).toBe('{"id":2}');
    expect(headerText(created.message, 'cdc.newkey')).toBeUndefined();
    // Every event of the source is unique by version.
    const events = t.filter((r) => r.value !== null).map((r) => r.version.join('/'));
    expect(new Set(events).size).toBe(events.length);

    // Snapshot and stream shaped the table alike (key-columns.ts): one schema version each.
    for (const subject of [`${topic('t')}-key`, `${topic('t')}-value`, `${topic('events')}-key`]) {
      const versions = await fetch(`${iso.env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions`);
      expect(await versions.json(), subject).toEqual([1]);
    }

    // The keyless table with declared key columns behaves the same.
    const e = await decodeTopic(topic('events'), 7);
    expect(e.map((r) => [r.value?.op ?? 'tombstone', r.key])).toEqual([
      ['r', { event_id: 1 }],
      ['r', { event_id: 2 }],
      ['u', { event_id: 1 }],
      ['u', { event_id: 1 }],
      ['d', { event_id: 2 }],
      ['tombstone', { event_id: 2 }],
      ['c', { event_id: 10 }],
    ]);
    expectVersionsGrowPerKey(e);
    expect(headerText(e[4]!.message, 'cdc.newkey')).toBe('{"event_id":10}');
    expect(headerText(e[6]!.message, 'cdc.oldkey')).toBe('{"event_id":2}');

    const report = await verified(sink('redis-t'), sink('redis-e'), sink('mongo'));
    expect(report).toContain(`public.t: 2 rows in the table, 2 in ${sink('redis-t')}: 0 differences`);
    expect(report).toContain(`public.events: 2 rows in the table, 2 in ${sink('redis-e')}: 0 differences`);
    expect(report).toContain(`public.t: 2 rows in the table, 2 in ${sink('mongo')}: 0 differences`);
    expect(report).toContain(`public.events: 2 rows in the table, 2 in ${sink('mongo')}: 0 differences`);
    expect(report).not.toMatch(/verify: \d+ differences/);

    // pairs is keyed by (id, tenant); the sink's key 'p:{id}' would give both rows one record.
    const dead = await readTopic(iso.env, `${topic('pairs')}.dlq`, 3, `${iso.id}-read-pairs-dlq`);
    for (const letter of dead) {
      const [reason] = JSON.parse(headerText(letter, DLQ_HEADERS.reason)!) as Array<{
        rule: string;
        message: string;
      }>;
      expect(reason?.rule).toBe('sink');
      expect(reason?.message).toContain(
        `the sink's key '${redisPrefix}:p:{id}' does not name the key field {tenant} of public.pairs`,
      );
      expect(reason?.message).toContain(
        `name every key field in key (such as '${redisPrefix}:p:{id}:{tenant}')`,
      );
    }
    const redis = new Redis(iso.env.REDIS_URL);
    try {
      expect(await redis.keys(`${redisPrefix}:p:*`)).toEqual([]); // nothing written under the wrong key
    } finally {
      redis.disconnect();
    }
    // Now that the key schema is registered, config check refuses the sink, naming its setting.
    const refused = await cdc('config', 'check', '-c', file);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      new RegExp(
        `sinks\\[3\\]\\.key \\(line \\d+\\): the sink's key '${redisPrefix}:p:\\{id\\}' does not name the key field \\{tenant\\} of topic ${topic('pairs').replaceAll('.', '\\.')} \\(key schema ${topic('pairs').replaceAll('.', '\\.')}-key, version 1: id, tenant\\)`,
      ),
    );

    // The fix: name every key field, redrive the dead letters, and the sink holds the table.
    await sinks[3]!.stop();
    file = pipeline(`${redisPrefix}:p:{id}:{tenant}`);
    const fixed = await cdc('config', 'check', '-c', file);
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.output).toContain(`Key templates checked against the key schemas of`);
    const redrive = await cdc('dlq', 'redrive', topic('pairs'), '-c', file);
    expect(redrive.output).toContain('redriven 3 of 3 dead letters');
    const pairs = cli('sink', 'run', sink('redis-pairs'), '-c', file);
    await pairs.printed('consuming');
    expect(await verified(sink('redis-pairs'))).toContain(
      `public.pairs: 2 rows in the table, 2 in ${sink('redis-pairs')}: 0 differences`,
    );

    await Promise.all([source, ...sinks.slice(0, 3), pairs].map((p) => p.stop()));
  }, 600_000);
});
