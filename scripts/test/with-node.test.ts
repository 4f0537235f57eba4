import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../with-node.mjs', import.meta.url));

describe('scripts/with-node.mjs', () => {
  it('runs the command with a supported Node and keeps its own output off stdout', () => {
    const stdout = execFileSync(process.execPath, [script, 'node', '-p', 'process.versions.node'], {
      encoding: 'utf8',
    });
    const [major, minor] = stdout.trim().split('.').map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 22)).toBe(true);
  });

  it('passes the exit code of the command through', () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [script, 'node', '-e', 'process.exit(7)'], { stdio: 'ignore' });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(7);
  });
});
