import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '@cdc/stack';
import { isolate, startCli, type CliProcess } from '@cdc/testkit';

// The acceptance run of the sinks: pgbench's tables captured by the real source into Kafka and
// written by the real sinks, each a process of its own as in production; a sink is killed with
// -9 in the middle of the load and restarted; at the end `cdc sink verify` finds no difference.

const iso = isolate('e2e_pgbench');
/** The pipeline file, written once the test has its database. */
let file = '';
const processes: CliProcess[] = [];
const PGBENCH = join(
  process.env.CDC_STACK_PG_BIN ?? `/usr/lib/postgresql/${VERSIONS.postgresMajor}/bin`,
  'pgbench',
);
const SECONDS = Number(process.env.CDC_E2E_PGBENCH_SECONDS ?? 60);
const TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers'];

afterAll(async () => {
  await Promise.all(processes.map((p) => p.killHard()));
});

function pgbench(args: string[], url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PGBENCH, [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`pgbench exited ${code}:\n${output}`)),
    );
  });
}

function cli(...args: string[]): CliProcess {
  const started = startCli(args);
  processes.push(started);
  return started;
}

async function verify(sink: string): Promise<{ code: number | null; output: string }> {
  const run = startCli(['sink', 'verify', sink, '-c', file]);
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  return { code, output: run.output() };
}

describe('end to end: pgbench into MongoDB (branches, tellers) and Redis (accounts)', () => {
  it('captures a pgbench run into both sinks with no difference, across a sink killed with -9', async () => {
    const url = await iso.postgresUrl();
    await pgbench(['-i', '-s', '1', '-q'], url);
    file = iso.pipelineFile({
      source: {
        name: iso.id,
        database: { url },
        tables: TABLES.map((t) => `public.${t}`),
        slot: `${iso.id}_slot`,
        publication: `${iso.id}_pub`,
      },
      sinks: [
        {
          name: `${iso.id}-mongo`,
          kind: 'mongodb',
          // FerretDB (the local MongoDB-wire server) scans a whole collection for every update
          // of an existing document: 100000 accounts would take hours there. The small tables
          // carry pgbench's hottest rows (every transaction updates one branch and one teller).
          topics: ['pgbench_branches', 'pgbench_tellers'].map((t) => `${iso.id}.public.${t}`),
          database: iso.mongoDatabase(),
          collection: '{table}',
        },
        {
          name: `${iso.id}-redis`,
          kind: 'redis',
          topics: [`${iso.id}.public.pgbench_accounts`],
          key: `${iso.redisKey('account')}:{aid}`,
        },
      ],
    });

    const source = cli('source', 'run', '-c', file);
    await source.printed('streaming started');
    let mongo = cli('sink', 'run', `${iso.id}-mongo`, '-c', file);
    const redis = cli('sink', 'run', `${iso.id}-redis`, '-c', file);
    await Promise.all([mongo.printed('consuming'), redis.printed('consuming')]);

    const load = pgbench(['-T', String(SECONDS), '-c', '4', '-j', '2', '-n'], url);
    await new Promise((resolve) => setTimeout(resolve, (SECONDS * 1000) / 3));
    await mongo.killHard(); // mid-run, with uncommitted batches in flight
    mongo = cli('sink', 'run', `${iso.id}-mongo`, '-c', file);
    await mongo.printed('consuming');
    const report = await load;
    expect(report).toMatch(/number of transactions actually processed: [1-9]/);

    // Caught up once verify agrees; each round compares one snapshot of the tables.
    let last = { code: null as number | null, output: '' };
    for (const deadline = Date.now() + 240_000; Date.now() < deadline;) {
      const [m, r] = await Promise.all([verify(`${iso.id}-mongo`), verify(`${iso.id}-redis`)]);
      last = { code: m.code === 0 && r.code === 0 ? 0 : 1, output: `${m.output}\n${r.output}` };
      if (last.code === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    expect(last.output).toContain('verify: no differences');
    expect(last.code, last.output).toBe(0);
    expect(last.output).toMatch(/public\.pgbench_accounts: 100000 rows in the table, 100000 in/);

    await Promise.all([source.stop(), mongo.stop(), redis.stop()]);
  }, 600_000);
});
