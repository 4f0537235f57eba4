import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, ownedPid, startDaemon, stopProcess } from './daemon.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cdc-daemon-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('daemons', () => {
  it('start detached, are recognised as ours by their folder, and stop on request', async () => {
    const stackDir = await tempDir();
    const pidFile = join(stackDir, 'run', 'sleeper.pid');
    const pid = await startDaemon({
      command: 'sleep',
      args: ['30'],
      cwd: join(stackDir, 'data', 'sleeper'),
      logFile: join(stackDir, 'logs', 'sleeper.log'),
      pidFile,
    });
    expect(isAlive(pid)).toBe(true);
    expect(await ownedPid(pidFile, stackDir)).toBe(pid);
    // The same pid seen from another stack folder is somebody else's process.
    expect(await ownedPid(pidFile, await tempDir())).toBeUndefined();
    await stopProcess(pid, 5_000);
    expect(isAlive(pid)).toBe(false);
    expect(await ownedPid(pidFile, stackDir)).toBeUndefined();
  });

  it('ignore a missing or garbled pid file', async () => {
    const dir = await tempDir();
    expect(await ownedPid(join(dir, 'absent.pid'), dir)).toBeUndefined();
  });
});
