import { existsSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { Health, Progress } from '../component.ts';
import { runCommand } from '../exec.ts';
import { withTimeout } from '../health.ts';
import { requireProgram } from '../tools.ts';
import { VERSIONS } from '../versions.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';
import { removeEmptyDatabases } from './ferretdb-files.ts';

const MODULE = 'github.com/FerretDB/FerretDB';

/**
 * A MongoDB-wire server: FerretDB v1 on its SQLite backend, built from source with the Go
 * toolchain (no MongoDB binary reaches our machines). It has no transactions or change streams.
 */
export class MongoComponent extends DaemonComponent {
  readonly name = 'mongo' as const;
  readonly title = `FerretDB ${VERSIONS.ferretdb} (MongoDB wire)`;
  readonly envVar = 'MONGO_URL' as const;
  readonly provisionTitle = `build FerretDB ${VERSIONS.ferretdb} with go (about 2 minutes on 2 cores)`;
  protected readonly portSettings = ['mongoPort'] as const;

  url(): string {
    return `mongodb://127.0.0.1:${this.port}`;
  }

  private binary(): string {
    return join(this.paths.dist(`ferretdb-${VERSIONS.ferretdb}`), 'ferretdb');
  }

  async checkPrerequisites(): Promise<void> {
    if (!(await this.isProvisioned())) await this.goProgram();
  }

  private goProgram(): Promise<string> {
    return requireProgram(
      'go',
      'to build FerretDB',
      'install Go 1.22 or newer (apt-get install -y golang, or https://go.dev/dl)',
    );
  }

  async isProvisioned(): Promise<boolean> {
    return existsSync(this.binary());
  }

  async provision(progress: Progress): Promise<void> {
    const logFile = this.paths.log('provision-mongo');
    const go = await this.goProgram();
    const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
    progress(`go mod download ${MODULE}@${VERSIONS.ferretdb}`);
    // `go install module@version` would ask the proxy for the module's version list, which our
    // registry mirror refuses; downloading the exact version and building it from its own go.mod
    // needs only that version and its pinned dependencies.
    const info = JSON.parse(
      await runCommand(go, ['mod', 'download', '-json', `${MODULE}@${VERSIONS.ferretdb}`], {
        env,
        logFile,
      }),
    ) as { Dir: string };
    const source = this.paths.build(`ferretdb-${VERSIONS.ferretdb}`);
    await rm(source, { recursive: true, force: true });
    await cp(info.Dir, source, { recursive: true });
    // Go's module cache is read-only; the copy must be writable to add version.txt and to be removed.
    await runCommand('chmod', ['-R', 'u+w', source]);
    // A build outside FerretDB's own release tooling must say its version, or it refuses to start.
    await writeFile(join(source, 'build', 'version', 'version.txt'), `${VERSIONS.ferretdb}\n`);
    progress('go build ./cmd/ferretdb');
    const output = `${this.binary()}.partial`;
    await mkdir(join(output, '..'), { recursive: true });
    await runCommand(go, ['build', '-trimpath', '-o', output, './cmd/ferretdb'], {
      cwd: source,
      env,
      logFile,
      onLine: progress,
    });
    await rename(output, this.binary());
    await rm(source, { recursive: true, force: true });
  }

  protected async prepareLaunch(progress: Progress): Promise<LaunchCommand> {
    const sqlite = join(this.dataDir(), 'sqlite');
    const state = join(this.dataDir(), 'state');
    await mkdir(sqlite, { recursive: true });
    await mkdir(state, { recursive: true });
    for (const file of await removeEmptyDatabases(sqlite))
      progress(
        `removed ${file}: a database file with no table (left by a crash), which stops FerretDB from starting`,
      );
    return {
      command: this.binary(),
      args: [
        '--handler=sqlite',
        `--sqlite-url=file:${sqlite}/`,
        `--listen-addr=127.0.0.1:${this.port}`,
        `--state-dir=${state}`,
        '--telemetry=disable',
        '--debug-addr=-',
        '--log-level=warn',
      ],
    };
  }

  async probe(): Promise<Health> {
    const client = new MongoClient(this.url(), {
      serverSelectionTimeoutMS: 1500,
      connectTimeoutMS: 1500,
      directConnection: true,
    });
    try {
      const info = await withTimeout(client.db('admin').command({ buildInfo: 1 }), 4000, 'MongoDB buildInfo');
      return { healthy: true, detail: `MongoDB wire ${String(info.version)}` };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}
