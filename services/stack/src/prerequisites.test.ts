import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { RegistryComponent } from './components/registry.ts';
import { stackPaths } from './paths.ts';
import { readStackSettings } from './settings.ts';
import { findProgram, requireProgram } from './tools.ts';

// An empty PATH and an empty stack folder: nothing is installed and nothing provisioned.
let dir: string;
let savedPath: string | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cdc-prereq-'));
  savedPath = process.env.PATH;
  process.env.PATH = join(dir, 'empty-bin');
});

afterEach(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

function settings() {
  return readStackSettings({ CDC_STACK_DIR: dir });
}

async function failure(promise: Promise<unknown>): Promise<CdcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CdcError);
  return error as CdcError;
}

describe('missing prerequisites', () => {
  it('name the program, why it is needed and how to install it', async () => {
    const error = await failure(
      requireProgram('mvn', 'to fetch Kafka', 'install Maven: apt-get install -y maven'),
    );
    expect(error.code).toBe('PREREQUISITE_MISSING');
    expect(error.describe()).toBe(
      'mvn is needed to fetch Kafka but is not on PATH\n  fix: install Maven: apt-get install -y maven',
    );
  });

  it('look for a program in its well-known install places when PATH lacks it', async () => {
    const go = join(dir, 'usr-local-go', 'go');
    await mkdir(join(dir, 'usr-local-go'));
    await writeFile(go, '#!/bin/sh\n', { mode: 0o755 });
    expect(await findProgram('go', [join(dir, 'nowhere', 'go'), go])).toBe(go);
    expect(await findProgram('go', [join(dir, 'nowhere', 'go')])).toBeUndefined();
  });

  it('stop the registry from being fetched without Maven', async () => {
    const registry = new RegistryComponent(settings(), stackPaths(settings()));
    const error = await failure(registry.checkPrerequisites());
    expect(error.describe()).toMatch(/(mvn is needed|Java 21)[\s\S]*fix:/);
  });
});
