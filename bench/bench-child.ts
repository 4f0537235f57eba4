// The child processes of `npm run bench:sinks`: each sink, source and plain client runs alone in
// its own process, so that its figures are its own (bench/sinks.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { STALL_MS, WORKER_FLAGS, root } from './sink-bench-context.ts';
import type { WorkerInput, WorkerMessage, WorkerReport } from './sink-worker.ts';

/** A benchmark child process: its latest report, its failure, and a clean stop. */
export class Child<M extends { kind: string }> {
  readonly messages: M[] = [];
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(message: M | undefined) => void>();
  #failure: Error | undefined;
  readonly exited: Promise<void>;

  readonly label: string;

  constructor(label: string, script: string, argument: unknown, execArgv: readonly string[]) {
    this.label = label;
    this.#child = fork(join(root, script), [JSON.stringify(argument)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...execArgv],
    });
    this.#child.on('message', (message: M) => {
      if (message.kind === 'failed') this.#failure = new Error(`${label} failed: ${JSON.stringify(message)}`);
      else this.messages.push(message);
      for (const listener of this.#listeners) listener(message);
    });
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code) => {
        if (code !== 0 && !this.#failure) this.#failure = new Error(`${label} exited with ${code}`);
        for (const listener of this.#listeners) listener(undefined);
        resolve();
      }),
    );
  }

  latest<K extends M['kind']>(kind: K): Extract<M, { kind: K }> | undefined {
    return this.messages.findLast((message) => message.kind === kind) as Extract<M, { kind: K }> | undefined;
  }

  /** Resolves once `done` holds for a message; fails on the child's failure or after `progress` stops moving. */
  until(done: (message: M) => boolean, progress: () => number = () => 0, stallMs = STALL_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      let [last, movedMs] = [progress(), Date.now()];
      const timer = setInterval(() => {
        const now = progress();
        if (now !== last) [last, movedMs] = [now, Date.now()];
        else if (Date.now() - movedMs > stallMs) finish(new Error(`${this.label} stalled at ${now}`));
      }, 1000);
      const listener = (message: M | undefined) => {
        if (this.#failure) finish(this.#failure);
        else if (message && done(message)) finish();
      };
      const finish = (error?: Error) => {
        clearInterval(timer);
        this.#listeners.delete(listener);
        if (error) reject(error);
        else resolve();
      };
      this.#listeners.add(listener);
      if (this.#failure) finish(this.#failure);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) this.#child.send('stop');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(killer);
  }
}

export function sinkWorker(label: string, input: WorkerInput): Child<WorkerMessage> {
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${label}.cpuprofile`]
    : [];
  return new Child<WorkerMessage>(label, 'bench/sink-worker.ts', input, [...WORKER_FLAGS, ...profile]);
}

export function progress(label: string, report: WorkerReport | undefined, total: number): void {
  if (!report) return;
  const rate = report.firstWriteAtMs
    ? Math.round(report.settled / Math.max(0.001, (report.atMs - report.firstWriteAtMs) / 1000))
    : 0;
  process.stderr.write(`\r${label.padEnd(20)} ${report.settled}/${total} events, ${rate}/s   `);
}
