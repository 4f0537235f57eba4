import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stripVTControlCharacters as stripAnsi } from 'node:util';
import { CdcError } from '@cdc/core';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output is appended here as well as kept for the error message. */
  logFile?: string;
  /** Called with each line of output, for progress displays. */
  onLine?: (line: string) => void;
  /**
   * Commands with the same key run one at a time (two Maven runs at once would share, and can
   * corrupt, one local repository).
   */
  exclusive?: string;
}

const queues = new Map<string, Promise<unknown>>();

/** Runs a program to completion and returns its standard output (see runOnce). */
export async function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const key = options.exclusive;
  if (!key) return runOnce(command, args, options);
  const previous = queues.get(key) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => runOnce(command, args, options));
  queues.set(key, current);
  return current;
}

/**
 * Runs Maven in batch mode, quietly and without colours (its output goes to a log file and a
 * progress display), one run at a time: runs at once would share, and can corrupt, ~/.m2.
 */
export function runMaven(
  args: string[],
  options: { readonly logFile: string; readonly onLine: (line: string) => void },
): Promise<string> {
  return runCommand('mvn', ['-B', '-q', '-Dstyle.color=never', ...args], { ...options, exclusive: 'maven' });
}

/**
 * Runs a program to completion and returns its standard output. On failure the error names the
 * command, its exit code and the last lines it printed.
 */
async function runOnce(command: string, args: string[], options: RunOptions): Promise<string> {
  if (options.logFile) await mkdir(dirname(options.logFile), { recursive: true });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  log?.write(`\n$ ${command} ${args.join(' ')}\n`);
  const stdout: string[] = [];
  const tail: string[] = [];
  const keep = (chunk: Buffer, isStdout: boolean) => {
    const text = chunk.toString();
    log?.write(text);
    if (isStdout) stdout.push(text);
    for (const raw of text.split('\n')) {
      const line = stripAnsi(raw).trimEnd();
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      options.onLine?.(line);
    }
  };
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => keep(chunk, true));
      child.stderr.on('data', (chunk: Buffer) => keep(chunk, false));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode ?? 1));
    });
    if (code !== 0) {
      throw new CdcError('COMMAND_FAILED', `${command} ${args.join(' ')} exited with ${code}`, {
        details: { output: tail.join('\n') },
        fix: `read its output${options.logFile ? ` in ${options.logFile}` : ''}:\n    ${tail.slice(-8).join('\n    ')}`,
      });
    }
    return stdout.join('');
  } catch (error) {
    if (error instanceof CdcError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CdcError(
      code === 'ENOENT' ? 'PROGRAM_MISSING' : 'COMMAND_FAILED',
      code === 'ENOENT' ? `${command} is not installed or not on PATH` : `could not run ${command}`,
      { cause: error },
    );
  } finally {
    await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  }
}
