import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { providerName } from '@cdc/testkit';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function cdc(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
}

interface Status {
  name: string;
  healthy: boolean;
  pid?: number;
}

// These drive the local stack itself, so they only apply when it is the one under test.
describe.runIf(providerName(process.env.CDC_TEST_PROVIDER) === 'local')(
  'cdc stack on a running stack',
  () => {
    it('reports every server healthy', () => {
      const result = cdc('stack', 'status', '--json');
      expect(result.status, result.stderr).toBe(0);
      const statuses = JSON.parse(result.stdout) as Status[];
      expect(statuses.map((s) => [s.name, s.healthy])).toEqual([
        ['postgres', true],
        ['kafka', true],
        ['registry', true],
        ['redis', true],
        ['mongo', true],
      ]);
    });

    it('treats a second `up` as a no-op that still reports healthy', () => {
      const before = JSON.parse(cdc('stack', 'status', '--json').stdout) as Status[];
      const result = cdc('stack', 'up');
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).not.toContain('Start servers');
      expect(result.stdout.match(/^healthy /gm)).toHaveLength(5);
      const after = JSON.parse(cdc('stack', 'status', '--json').stdout) as Status[];
      expect(after.map((s) => s.pid)).toEqual(before.map((s) => s.pid));
    });
  },
);
