import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerScrapeTarget, scrapeTargetFile, scrapeTargetsDir } from './scrape-targets.ts';
import type { ServiceIdentity } from './service-metrics.ts';

const sink: ServiceIdentity = { stage: 'sink', kind: 'redis', service: 'patients-cache' };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdc-scrape-targets-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registerScrapeTarget', () => {
  it("writes one file-discovery group per process and port, labelled with the service's own label", async () => {
    await registerScrapeTarget(dir, sink, 41234);
    const name = `sink-patients-cache-${process.pid}-41234.json`;
    expect(await readdir(dir)).toEqual([name]);
    expect(JSON.parse(await readFile(join(dir, name), 'utf8'))).toEqual([
      { targets: ['127.0.0.1:41234'], labels: { cdc_target: 'sink/patients-cache' } },
    ]);
  });

  it('removes the file when the returned function is called, and tolerates a second call', async () => {
    const unregister = await registerScrapeTarget(dir, sink, 41235);
    const other = await registerScrapeTarget(dir, { ...sink, service: 'other' }, 41236);
    await unregister();
    await unregister();
    expect(await readdir(dir)).toEqual([`sink-other-${process.pid}-41236.json`]);
    await other();
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the files of processes that ended without removing their own', async () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    if (ended === undefined) throw new Error('no child pid');
    await writeFile(join(dir, `sink-killed-${ended}-41240.json`), '[]');
    await writeFile(join(dir, `sink-alive-${process.pid}-41241.json`), '[]');
    await registerScrapeTarget(dir, sink, 41242);
    expect((await readdir(dir)).sort()).toEqual(
      [`sink-alive-${process.pid}-41241.json`, `sink-patients-cache-${process.pid}-41242.json`].sort(),
    );
  });

  it('creates the folder when it does not exist yet', async () => {
    const nested = join(dir, 'prometheus', 'targets');
    await registerScrapeTarget(nested, sink, 41237);
    expect(await readdir(nested)).toHaveLength(1);
  });
});

describe('scrapeTargetFile', () => {
  it('keeps the name to characters that are safe in a file name', () => {
    expect(scrapeTargetFile('/t', { stage: 'processor', kind: 'validator', service: 'a/b c' }, 9, 7)).toBe(
      '/t/processor-a_b_c-7-9.json',
    );
  });
});

describe('scrapeTargetsDir', () => {
  it('is the CDC_METRICS_TARGETS_DIR folder, or undefined when it is unset or blank', () => {
    expect(scrapeTargetsDir({ CDC_METRICS_TARGETS_DIR: '/var/tmp/targets' })).toBe('/var/tmp/targets');
    expect(scrapeTargetsDir({ CDC_METRICS_TARGETS_DIR: '  ' })).toBeUndefined();
    expect(scrapeTargetsDir({})).toBeUndefined();
  });
});
