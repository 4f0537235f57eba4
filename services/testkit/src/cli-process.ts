import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once it printed `text`; rejects if it exits first. */
  printed(text: string): Promise<void>;
  /** kill -9, and wait for the exit. */
  killHard(): Promise<void>;
  /** SIGTERM, and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `cdc <args>` as a process of its own (with the running Node), as an operator would. */
export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let text = '';
  const waiters = new Set<{ text: string; resolve: () => void }>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters) {
      if (text.includes(waiter.text)) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    printed: (wanted) =>
      new Promise<void>((resolve, reject) => {
        if (text.includes(wanted)) return resolve();
        waiters.add({ text: wanted, resolve });
        void exited.then((code) =>
          reject(new Error(`cdc ${args.join(' ')} exited (${code}) before printing "${wanted}":\n${text}`)),
        );
      }),
    killHard: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
