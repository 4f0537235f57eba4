// The source of `npm run bench:source` in its child process (bench/source-worker.ts): started,
// watched through its reports, stopped. Its memory and CPU are then the source's alone.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { SOURCE_NODE_FLAGS, type SourceConfig } from '@cdc/source-postgres';
import type { WorkerMessage, WorkerReport } from './source-worker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Node flags of the source process: those `cdc source run` launches it with, unless an experiment
// sets BENCH_WORKER_FLAGS.
const WORKER_FLAGS = process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [...SOURCE_NODE_FLAGS];
const STALL_MS = 120_000; // no progress for this long fails the run

export class Worker {
  latest: WorkerReport | undefined;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<() => void>();
  #failure: Error | undefined;
  readonly exited: Promise<void>;

  /** `env`: the child's environment (the tracing phase sets OTEL_* there); the parent's by default. */
  constructor(config: SourceConfig, env: NodeJS.ProcessEnv = process.env) {
    this.#child = fork(join(root, 'bench/source-worker.ts'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...env, BENCH_WORKER_INPUT: JSON.stringify(config) },
      execArgv: [
        ...WORKER_FLAGS,
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ],
    });
    this.#child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'report') this.latest = message;
      if (message.kind === 'failed') this.#failure = new Error(`the source failed: ${message.error}`);
      for (const listener of this.#listeners) listener();
    });
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        if (code !== 0 && !this.#failure) this.#failure = new Error(`the source exited with ${code}`);
        for (const listener of this.#listeners) listener();
        resolve();
      }),
    );
  }

  static async start(config: SourceConfig, env?: NodeJS.ProcessEnv): Promise<Worker> {
    const worker = new Worker(config, env);
    await worker.#until((message) => message?.kind === 'started', 60_000);
    return worker;
  }

  #until(done: (message: WorkerMessage | undefined) => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error('timed out waiting for the source')), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.#child.off('message', onMessage);
        this.#listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (this.#failure) finish(this.#failure);
      };
      const onMessage = (message: WorkerMessage) => {
        if (done(message)) finish();
      };
      this.#child.on('message', onMessage);
      this.#listeners.add(check);
      check();
    });
  }

  /** The first report that satisfies `done`; fails when nothing moves for STALL_MS. */
  waitFor(
    done: (report: WorkerReport) => boolean,
    onReport?: (report: WorkerReport) => void,
  ): Promise<WorkerReport> {
    return new Promise((resolve, reject) => {
      let lastEvents = -1;
      let lastMoveMs = Date.now();
      const listener = () => {
        if (this.#failure) return finish(this.#failure);
        const report = this.latest;
        if (!report) return;
        onReport?.(report);
        if (report.eventsSent !== lastEvents) [lastEvents, lastMoveMs] = [report.eventsSent, Date.now()];
        if (done(report)) return finish(undefined, report);
        if (Date.now() - lastMoveMs > STALL_MS)
          finish(new Error(`the source stalled at ${lastEvents} events`));
      };
      const finish = (error: Error | undefined, report?: WorkerReport) => {
        this.#listeners.delete(listener);
        if (error) reject(error);
        else resolve(report!);
      };
      this.#listeners.add(listener);
      listener();
    });
  }

  async stop(): Promise<WorkerReport | undefined> {
    if (this.#child.exitCode === null && this.#child.connected) this.#child.send('stop');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(killer);
    return this.latest;
  }
}

export function progressBar(label: string, total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(22)} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0 });
  return bar;
}
