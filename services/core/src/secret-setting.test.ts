import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CdcError } from './errors.ts';
import {
  isSecretSchema,
  redactSecret,
  redactSecrets,
  resolveSecret,
  secretSetting,
  type SecretSetting,
} from './secret-setting.ts';

function problems(input: unknown): string[] {
  const parsed = secretSetting.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '.'}: ${i.message}`);
}

describe('secretSetting', () => {
  it('accepts the secret itself, an environment variable or a file', () => {
    expect(secretSetting.parse('s3cret')).toBe('s3cret');
    expect(secretSetting.parse({ env: 'NOTION_TOKEN' })).toEqual({ env: 'NOTION_TOKEN' });
    expect(secretSetting.parse({ file: '/run/secrets/token' })).toEqual({ file: '/run/secrets/token' });
  });

  it('says in plain words what is wrong', () => {
    expect(problems('')).toEqual(['.: must not be empty']);
    expect(problems(42)).toEqual(['.: must be the secret as text, { env: NAME } or { file: PATH }']);
    expect(problems({ env: 'not a name' })).toEqual([
      'env: env must be the name of an environment variable (letters, digits and _)',
    ]);
    expect(problems({ env: 3 })).toEqual(['.: env must be the name of an environment variable']);
    expect(problems({ file: '' })).toEqual(['file: file must be the path of a file']);
    expect(problems({ env: 'A', file: 'b' })).toEqual(['.: must name either env or file, not both']);
    expect(problems({ env: 'A', extra: 1 })).toEqual(['.: Unrecognized key: "extra"']);
    expect(problems({})).toEqual([
      '.: must be { env: NAME } or { file: PATH } (or the secret itself as text)',
    ]);
  });

  it('is found as a secret through describe, optional and defaults, and nothing else is', () => {
    expect(isSecretSchema(secretSetting)).toBe(true);
    expect(isSecretSchema(secretSetting.describe('Notion integration token'))).toBe(true);
    expect(isSecretSchema(secretSetting.optional())).toBe(true);
    expect(isSecretSchema(secretSetting.describe('signing key').default({ env: 'KEY' }))).toBe(true);
    expect(isSecretSchema(z.string())).toBe(false);
    expect(isSecretSchema(z.object({ token: secretSetting }))).toBe(false);
  });
});

describe('redactSecret', () => {
  it('hides the secret itself and shows where a secret is read from', () => {
    expect(redactSecret('s3cret')).toBe('***');
    expect(redactSecret({ env: 'TOKEN' })).toEqual({ env: 'TOKEN' });
    expect(redactSecret({ file: '/run/secrets/token' })).toEqual({ file: '/run/secrets/token' });
  });

  it('finds every secret of a configuration by its schema', () => {
    const webhook = z.strictObject({
      kind: z.literal('webhook'),
      url: z.string(),
      secret: secretSetting.describe('signing key'),
      headers: z.record(z.string(), secretSetting).optional(),
    });
    const notion = z.strictObject({
      kind: z.literal('notion'),
      token: secretSetting.optional(),
      secret: z.string(),
    });
    const config = z.strictObject({
      sinks: z.array(z.discriminatedUnion('kind', [webhook, notion])),
      other: z.union([z.strictObject({ token: secretSetting }), z.string()]).optional(),
    });
    const value = config.parse({
      sinks: [
        { kind: 'webhook', url: 'http://h', secret: 'whsec_x', headers: { authorization: 'Bearer t' } },
        { kind: 'notion', token: { env: 'NOTION_TOKEN' }, secret: 'not a secret setting here' },
        { kind: 'notion', secret: 'plain' },
      ],
      other: { token: 'x' },
    });
    expect(redactSecrets(config, value)).toEqual({
      sinks: [
        { kind: 'webhook', url: 'http://h', secret: '***', headers: { authorization: '***' } },
        { kind: 'notion', token: { env: 'NOTION_TOKEN' }, secret: 'not a secret setting here' },
        { kind: 'notion', secret: 'plain' },
      ],
      other: { token: '***' },
    });
    expect(value.sinks[0]).toMatchObject({ secret: 'whsec_x' }); // a copy: the configuration keeps its secrets
  });
});

describe('resolveSecret', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdc-secret-'));
    await writeFile(join(dir, 'token'), 'file-secret\n');
    await writeFile(join(dir, 'pem'), 'line one\nline two\n\n');
    await writeFile(join(dir, 'empty'), '\n');
    await writeFile(join(dir, 'locked'), 'x');
    await chmod(join(dir, 'locked'), 0o000);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const at = { path: 'sinks[0].secret' };

  async function failure(setting: SecretSetting, context = {}): Promise<CdcError> {
    const error = await resolveSecret(setting, { ...at, ...context }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    return error as CdcError;
  }

  it('reads the secret from the setting, the environment or a file', async () => {
    expect(await resolveSecret('literal', at)).toBe('literal');
    expect(await resolveSecret({ env: 'HOOK_KEY' }, { ...at, env: { HOOK_KEY: 'from-env' } })).toBe(
      'from-env',
    );
    expect(await resolveSecret({ file: join(dir, 'token') }, at)).toBe('file-secret');
    expect(await resolveSecret({ file: 'token' }, { ...at, baseDir: dir })).toBe('file-secret');
    expect(await resolveSecret({ file: join(dir, 'pem') }, at)).toBe('line one\nline two\n'); // one line break only
  });

  it('names the setting and the variable or file when it cannot, never a value', async () => {
    const unset = await failure({ env: 'HOOK_KEY' }, { env: {} });
    expect(unset.code).toBe('SECRET_UNREADABLE');
    expect(unset.retriable).toBe(false);
    expect(unset.message).toBe('sinks[0].secret: the environment variable HOOK_KEY is not set');
    expect(unset.fix).toContain('set HOOK_KEY');
    expect((await failure({ env: 'HOOK_KEY' }, { env: { HOOK_KEY: '' } })).message).toBe(
      'sinks[0].secret: the environment variable HOOK_KEY is empty',
    );

    const missing = await failure({ file: join(dir, 'nope') });
    expect(missing.code).toBe('SECRET_UNREADABLE');
    expect(missing.message).toBe(
      `sinks[0].secret: cannot read the secret file ${join(dir, 'nope')} (no such file)`,
    );
    expect((await failure({ file: join(dir, 'empty') })).message).toBe(
      `sinks[0].secret: the secret file ${join(dir, 'empty')} is empty`,
    );
    if (process.getuid?.() !== 0) {
      // root reads any file
      expect((await failure({ file: join(dir, 'locked') })).message).toContain('(permission denied)');
    }
  });
});
