import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStackSettings } from './settings.ts';
import { Stack } from './stack.ts';

let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Stack.clean', () => {
  it("deletes every server's data folder of a stopped stack and keeps the downloads", async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdc-clean-'));
    // Ports nothing listens on, so that no server answers for this stack.
    const stack = new Stack(
      readStackSettings({
        CDC_STACK_DIR: dir,
        CDC_STACK_PG_PORT: '41432',
        CDC_STACK_KAFKA_PORT: '41092',
        CDC_STACK_KAFKA_CONTROLLER_PORT: '41093',
        CDC_STACK_REGISTRY_PORT: '41081',
        CDC_STACK_REGISTRY_MANAGEMENT_PORT: '41082',
        CDC_STACK_REDIS_PORT: '41379',
        CDC_STACK_MONGO_PORT: '41017',
        CDC_STACK_FHIR_PORT: '41090',
        CDC_STACK_NOTION_PORT: '41191',
        CDC_STACK_CALENDAR_PORT: '41192',
        CDC_STACK_ZIPKIN_PORT: '41411',
        CDC_STACK_PROMETHEUS_PORT: '41190',
        CDC_STACK_ALERTMANAGER_PORT: '41194',
      }),
    );
    const dataDirs = stack.components.map((c) => c.dataDir());
    for (const data of dataDirs) {
      await mkdir(data, { recursive: true });
      await writeFile(join(data, 'state'), 'x');
    }
    await mkdir(join(dir, 'dist', 'kafka'), { recursive: true });

    expect((await stack.clean()).sort()).toEqual([...dataDirs].sort());
    for (const data of dataDirs) expect(existsSync(data), data).toBe(false);
    expect(existsSync(join(dir, 'dist', 'kafka'))).toBe(true);
  }, 30_000);
});
