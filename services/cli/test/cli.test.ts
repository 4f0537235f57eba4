import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { STACK_ENV_DEFAULTS, STACK_ENV_NAMES } from '@cdc/core';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// The CLI as a user runs it, without any CDC_STACK_* setting of the calling shell.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('CDC_STACK_')),
);

function cdc(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...cleanEnv, ...env } });
}

describe('cdc command line', () => {
  it('has --help on every command', () => {
    for (const command of [
      [],
      ['stack'],
      ['stack', 'up'],
      ['stack', 'down'],
      ['stack', 'clean'],
      ['stack', 'status'],
      ['stack', 'env'],
      ['source'],
      ['source', 'check'],
      ['source', 'run'],
      ['start'],
      ['demo'],
      ['run'],
      ['processor'],
      ['processor', 'run'],
      ['sink'],
      ['sink', 'run'],
      ['sink', 'verify'],
      ['sink', 'replay'],
      ['config'],
      ['config', 'check'],
      ['dlq'],
      ['dlq', 'list'],
      ['dlq', 'redrive'],
      ['trace'],
    ]) {
      const result = cdc([...command, '--help']);
      expect(result.status, `cdc ${command.join(' ')} --help`).toBe(0);
      expect(result.stdout).toMatch(/^Usage: cdc/);
    }
    expect(cdc(['stack', '--help']).stdout).toContain('CDC_STACK_PG_PORT');
    // Two dozen Node starts: seconds on a busy 2-core machine.
  }, 60_000);

  it('prints the connection variables so that a shell can eval them', () => {
    const result = cdc(['stack', 'env']);
    expect(result.status).toBe(0);
    const script = `eval "$1"; for name in ${STACK_ENV_NAMES.join(' ')}; do eval "printf '%s\\n' \\"\\$$name\\""; done`;
    const values = execFileSync('sh', ['-c', script, 'sh', result.stdout], { encoding: 'utf8' })
      .trim()
      .split('\n');
    // The scrape-target folder is printed absolute: the default, resolved against the repository.
    const repo = fileURLToPath(new URL('../../..', import.meta.url));
    const expected = {
      ...STACK_ENV_DEFAULTS,
      CDC_METRICS_TARGETS_DIR: resolve(repo, STACK_ENV_DEFAULTS.CDC_METRICS_TARGETS_DIR),
    };
    expect(values).toEqual(STACK_ENV_NAMES.map((name) => expected[name]));
  });

  it('follows port settings in the variables it prints', () => {
    expect(cdc(['stack', 'env'], { CDC_STACK_REDIS_PORT: '16379' }).stdout).toContain(
      'export REDIS_URL=redis://127.0.0.1:16379',
    );
  });

  it('refuses a bad setting with the variable, the problem and the fix', () => {
    const result = cdc(['stack', 'env'], { CDC_STACK_REDIS_PORT: '80' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'CDC_STACK_REDIS_PORT=80: must be a port number from 1024 to 65535 (unset it to use 56379)',
    );
  });

  it('runs a service by name, and names the services there are when there is none by that name', () => {
    const result = cdc(['run', 'validate-patient', '-c', 'connectors/health-care.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("no service named 'validate-patient' in the pipeline");
    expect(result.stderr).toMatch(/use one of: source, validate-patients, transform-patients, /);
    const source = cdc(['run', 'source', '--group', 'g', '-c', 'connectors/health-care.yaml']);
    expect(source.status).toBe(1);
    expect(source.stderr).toContain('--group applies to processors and sinks, not to the source');
  });

  it('explains an unknown command', () => {
    const result = cdc(['stack', 'upp']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command 'upp'/);
  });
});
