import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DaemonSpec {
  command: string;
  args: string[];
  /** The daemon runs in this folder; it is also how we recognise it as ours later. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
}

/** Starts a long-running server detached from this process, with its output in its log file. */
export async function startDaemon(spec: DaemonSpec): Promise<number> {
  await mkdir(dirname(spec.logFile), { recursive: true });
  await mkdir(dirname(spec.pidFile), { recursive: true });
  await mkdir(spec.cwd, { recursive: true });
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    await writeFile(spec.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(out);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid in a pid file, if that process is alive and still ours: it runs in `cwdWithin`, so a
 * recycled pid of some unrelated program is never mistaken for (and never killed as) our server.
 */
export async function ownedPid(pidFile: string, cwdWithin: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cwd = await realpath(`/proc/${pid}/cwd`);
    const expected = await realpath(cwdWithin);
    return cwd === expected || cwd.startsWith(`${expected}/`) ? pid : undefined;
  } catch {
    // No /proc (macOS) or no permission: trust the pid file.
    return process.platform === 'linux' ? undefined : pid;
  }
}

/** Asks a process to stop (SIGTERM), then forces it (SIGKILL) after the grace period. */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}
