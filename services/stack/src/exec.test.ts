import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { runCommand } from './exec.ts';

describe('runCommand', () => {
  it('returns standard output', async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo err >&2'])).toBe('out\n');
  });

  it('fails with the exit code and the last lines of output', async () => {
    const error = await runCommand('sh', ['-c', 'echo "something broke" >&2; exit 3']).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).message).toContain('exited with 3');
    expect((error as CdcError).describe()).toContain('something broke');
  });

  it('says when the program is not installed', async () => {
    await expect(runCommand('no-such-program-cdc', [])).rejects.toMatchObject({ code: 'PROGRAM_MISSING' });
  });

  it('runs commands that share an exclusive key one after another', async () => {
    const stamp = `date +%s%N; sleep 0.2; date +%s%N`;
    const [a, b] = await Promise.all([
      runCommand('sh', ['-c', stamp], { exclusive: 'test' }),
      runCommand('sh', ['-c', stamp], { exclusive: 'test' }),
    ]);
    const [aStart, aEnd] = a.trim().split('\n').map(BigInt);
    const [bStart] = b.trim().split('\n').map(BigInt);
    expect(bStart! >= aEnd!).toBe(true);
    expect(aEnd! > aStart!).toBe(true);
  });
});
