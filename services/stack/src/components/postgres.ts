import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile, chown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { CdcError, inactiveSlots, type InactiveSlot } from '@cdc/core';
import type { Component, Health, Progress } from '../component.ts';
import { ownedPid } from '../daemon.ts';
import { runCommand } from '../exec.ts';
import { withTimeout } from '../health.ts';
import type { StackPaths } from '../paths.ts';
import { portInUse } from '../ports.ts';
import type { StackSettings } from '../settings.ts';
import { VERSIONS } from '../versions.ts';

const DATABASE = 'cdc';
const SERVICE_USER = 'postgres';

/**
 * PostgreSQL from Debian's packages with wal_level=logical, in a cluster of its own (own data
 * folder and port), managed with pg_ctl. The server refuses to run as root, so when we are root
 * it runs as the `postgres` system user that the package creates.
 */
export class PostgresComponent implements Component {
  readonly name = 'postgres' as const;
  readonly title = `PostgreSQL ${VERSIONS.postgresMajor}`;
  readonly envVar = 'CDC_PG_URL' as const;
  readonly dependsOn = [] as const;
  readonly provisionTitle = `install postgresql-${VERSIONS.postgresMajor}`;
  private readonly settings: StackSettings;
  private readonly paths: StackPaths;
  private chosenDataDir: string | undefined;

  constructor(settings: StackSettings, paths: StackPaths) {
    this.settings = settings;
    this.paths = paths;
  }

  get port(): number {
    return this.settings.pgPort;
  }

  url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${DATABASE}`;
  }

  logFile(): string {
    return this.paths.log(this.name);
  }

  private binDir(): string {
    return process.env.CDC_STACK_PG_BIN ?? `/usr/lib/postgresql/${VERSIONS.postgresMajor}/bin`;
  }

  private runsAsRoot(): boolean {
    return process.getuid?.() === 0;
  }

  /**
   * The cluster's folder. It lives under the stack folder unless we are root and the `postgres`
   * user cannot reach it (a checkout in a private temporary folder, say); then it moves to a
   * folder of its own under /var/tmp, named after the stack folder so each checkout keeps one.
   */
  dataDir(): string {
    this.chosenDataDir ??= this.chooseDataDir();
    return this.chosenDataDir;
  }

  private chooseDataDir(): string {
    const preferred = this.paths.data(this.name);
    if (!this.runsAsRoot()) return preferred;
    const parent = join(preferred, '..');
    mkdirSync(parent, { recursive: true });
    const reachable = spawnSync('runuser', ['-u', SERVICE_USER, '--', 'test', '-x', parent]).status === 0;
    if (reachable) return preferred;
    const id = createHash('sha256').update(this.settings.dir).digest('hex').slice(0, 12);
    return `/var/tmp/cdc-stack-${id}-postgres`;
  }

  async missingSystemPackages(): Promise<string[]> {
    return existsSync(join(this.binDir(), 'postgres')) ? [] : [`postgresql-${VERSIONS.postgresMajor}`];
  }

  async checkPrerequisites(): Promise<void> {}

  async isProvisioned(): Promise<boolean> {
    return (await this.missingSystemPackages()).length === 0;
  }

  // The system package step installs it.
  async provision(): Promise<void> {}

  /** Runs a PostgreSQL program, as the postgres user when we are root. */
  private async pgCommand(program: string, args: string[]): Promise<string> {
    const binary = join(this.binDir(), program);
    // Not into logFile(): that links to the server's own log, which must stay the server's file.
    const logFile = this.paths.log('postgres-ctl');
    return this.runsAsRoot()
      ? runCommand('runuser', ['-u', SERVICE_USER, '--', binary, ...args], { cwd: '/', logFile })
      : runCommand(binary, args, { logFile });
  }

  async ownPid(): Promise<number | undefined> {
    const dir = this.dataDir();
    return ownedPid(join(dir, 'postmaster.pid'), dir);
  }

  async start(progress: Progress): Promise<void> {
    const dir = this.dataDir();
    await mkdir(join(this.logFile(), '..'), { recursive: true });
    if (!existsSync(join(dir, 'PG_VERSION'))) {
      progress('initdb');
      await this.prepareEmptyDir(dir);
      await this.pgCommand('initdb', [
        '-D',
        dir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
      await appendFile(join(dir, 'postgresql.conf'), "\ninclude_if_exists = 'cdc-stack.conf'\n");
    }
    if (await this.ownPid()) return;
    if (await portInUse(this.port)) {
      throw new CdcError('PORT_IN_USE', `port ${this.port} for ${this.title} is used by another program`, {
        fix: 'stop that program, or choose another port with CDC_STACK_PG_PORT=<port>',
      });
    }
    // Rewritten on every start so that a changed port takes effect.
    await writeFile(join(dir, 'cdc-stack.conf'), this.serverConfig());
    await this.linkLog(dir);
    progress('pg_ctl start');
    await this.pgCommand('pg_ctl', ['-D', dir, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    await this.ensureDatabase();
  }

  private serverConfig(): string {
    return [
      '# Written by the local stack on every start; edit services/stack/src/components/postgres.ts instead.',
      `port = ${this.port}`,
      "listen_addresses = '127.0.0.1'",
      // No Unix socket: its path could exceed the 107-byte limit in a deep checkout.
      "unix_socket_directories = ''",
      'wal_level = logical',
      'max_replication_slots = 32',
      'max_wal_senders = 32',
      'max_connections = 200',
      "shared_buffers = '128MB'",
      '',
    ].join('\n');
  }

  private async prepareEmptyDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    // Parents stay traversable (0755) for the postgres user; only the cluster folder is private.
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(dir, { mode: 0o700 });
    if (this.runsAsRoot()) {
      const uid = spawnSync('id', ['-u', SERVICE_USER]).stdout.toString().trim();
      const gid = spawnSync('id', ['-g', SERVICE_USER]).stdout.toString().trim();
      if (!uid) {
        throw new CdcError('PREREQUISITE_MISSING', `the ${SERVICE_USER} system user does not exist`, {
          fix: `reinstall postgresql-${VERSIONS.postgresMajor} (apt-get install --reinstall postgresql-${VERSIONS.postgresMajor})`,
        });
      }
      await chown(dir, Number(uid), Number(gid));
    }
  }

  /** The server writes its log inside its own folder; the stack's logs folder links to it. */
  private async linkLog(dir: string): Promise<void> {
    await rm(this.logFile(), { force: true });
    await symlink(join(dir, 'server.log'), this.logFile());
  }

  private async ensureDatabase(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url().replace(`/${DATABASE}`, '/postgres') });
    await client.connect();
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<'stopped' | 'not running'> {
    if (!(await this.ownPid())) return 'not running';
    await this.pgCommand('pg_ctl', ['-D', this.dataDir(), '-m', 'fast', '-w', '-t', '60', 'stop']);
    return 'stopped';
  }

  /**
   * `pg_ctl stop -m immediate` of the server this stack started: a crash as its clients see it
   * (every connection cut, no checkpoint), for fault-injection tests; start() then recovers it
   * from the WAL, as `pg_ctl restart -m immediate` would at once.
   */
  async crash(): Promise<void> {
    if (!(await this.ownPid())) {
      throw new CdcError('NOT_RUNNING', `${this.title} is not running from this stack`, {
        fix: 'bring the stack up first (npm run stack:up); only servers it started can be crashed',
      });
    }
    await this.pgCommand('pg_ctl', ['-D', this.dataDir(), '-m', 'immediate', '-w', '-t', '60', 'stop']);
  }

  async inactiveSlots(): Promise<InactiveSlot[]> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await withTimeout(client.connect(), 3000, 'PostgreSQL connect');
      return await inactiveSlots(client, this.url());
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async probe(): Promise<Health> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await withTimeout(client.connect(), 3000, 'PostgreSQL connect');
      const result = await client.query<{ wal_level: string; server_version: string }>(
        "select current_setting('wal_level') as wal_level, current_setting('server_version') as server_version",
      );
      const row = result.rows[0];
      if (row?.wal_level !== 'logical') {
        return {
          healthy: false,
          detail: `wal_level is ${row?.wal_level ?? '?'}, logical replication needs logical`,
        };
      }
      return { healthy: true, detail: `PostgreSQL ${row.server_version}, wal_level=logical` };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
