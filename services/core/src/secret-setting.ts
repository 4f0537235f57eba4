import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { CdcError } from './errors.ts';

const REDACTED = '***';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;

const literalSecret = z.string({ error: 'must be text' }).min(1, 'must not be empty');

const envSecret = z.strictObject({
  env: z
    .string({ error: 'env must be the name of an environment variable' })
    .regex(ENV_NAME, 'env must be the name of an environment variable (letters, digits and _)')
    .describe('Environment variable holding the secret'),
});

const fileSecret = z.strictObject({
  file: z
    .string({ error: 'file must be the path of a file' })
    .min(1, 'file must be the path of a file')
    .describe('File holding the secret (a trailing line break is dropped), e.g. a mounted Kubernetes secret'),
});

// A union names no branch when none fits; say which form was meant, judged by the keys given.
function secretError(issue: { code: string; input?: unknown }): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const input = issue.input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return 'must be the secret as text, { env: NAME } or { file: PATH }';
  }
  if ('env' in input && 'file' in input) return 'must name either env or file, not both';
  if ('env' in input) return 'env must be the name of an environment variable';
  if ('file' in input) return 'file must be the path of a file';
  return 'must be { env: NAME } or { file: PATH } (or the secret itself as text)';
}

/**
 * A secret setting (a token, a signing key) of any SaaS sink: the secret itself, the environment
 * variable holding it, or a file holding it. Marked with `meta({ secret: true })`, which survives
 * `.describe()`, so that `isSecretSchema` and `redactSecrets` find it in any configuration schema.
 */
export const secretSetting = z
  .union([literalSecret, envSecret, fileSecret], { error: secretError })
  .meta({ secret: true })
  .describe('A secret: the value itself, { env: NAME } to read an environment variable, or { file: PATH }');

export type SecretSetting = z.output<typeof secretSetting>;

/** Whether `schema` is a secret setting, looking through optional, nullable and defaults. */
export function isSecretSchema(schema: z.ZodType): boolean {
  if (z.globalRegistry.get(schema)?.secret === true) return true;
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodReadonly
  ) {
    return isSecretSchema(schema.unwrap() as z.ZodType);
  }
  return false;
}

/** A secret setting as it may be printed: the secret itself hidden, where it is read from shown. */
export function redactSecret(setting: SecretSetting): SecretSetting {
  return typeof setting === 'string' ? REDACTED : setting;
}

/**
 * A copy of `value` (validated by `schema`) with every secret setting redacted, wherever the
 * schema puts one: in objects, lists, records and unions (by the discriminator when there is one,
 * otherwise by every option: hiding too much is safe, too little is not).
 */
export function redactSecrets(schema: z.ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (isSecretSchema(schema)) {
    return typeof value === 'string' || typeof value === 'object'
      ? redactSecret(value as SecretSetting)
      : value;
  }
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodPrefault ||
    schema instanceof z.ZodReadonly
  ) {
    return redactSecrets(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodPipe) {
    return redactSecrets(schema.out as z.ZodType, redactSecrets(schema.in as z.ZodType, value));
  }
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) => redactSecrets(schema.element as z.ZodType, item));
  }
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = value as Record<string, unknown>;
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType | undefined>;
    return Object.fromEntries(
      Object.entries(entries).map(([key, item]) => {
        const inner = shape[key];
        return [key, inner ? redactSecrets(inner, item) : item];
      }),
    );
  }
  if (schema instanceof z.ZodRecord) {
    return Object.fromEntries(
      Object.entries(entries).map(([key, item]) => [key, redactSecrets(schema.valueType as z.ZodType, item)]),
    );
  }
  if (schema instanceof z.ZodUnion) {
    let options = schema.options as z.ZodType[];
    if (schema instanceof z.ZodDiscriminatedUnion) {
      const tag = entries[schema.def.discriminator];
      const matching = options.filter((option) =>
        discriminatorAccepts(option, schema.def.discriminator, tag),
      );
      if (matching.length > 0) options = matching;
    }
    return options.reduce<unknown>((redacted, option) => redactSecrets(option, redacted), value);
  }
  return value;
}

function discriminatorAccepts(option: z.ZodType, key: string, tag: unknown): boolean {
  if (!(option instanceof z.ZodObject)) return true;
  const field = (option.shape as Record<string, z.ZodType | undefined>)[key];
  return field === undefined || field.safeParse(tag).success;
}

export interface SecretContext {
  /** Where the setting is in the configuration, e.g. `sinks[0].secret`: errors name it. */
  readonly path: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Relative file paths start here (default: the working directory). */
  readonly baseDir?: string;
}

/**
 * The secret a setting stands for. Errors name the setting and the variable or file, never a
 * value. A file's trailing line break (which editors and `echo` add) is not part of the secret.
 */
export async function resolveSecret(setting: SecretSetting, context: SecretContext): Promise<string> {
  if (typeof setting === 'string') return setting;
  if ('env' in setting) {
    const value = (context.env ?? process.env)[setting.env];
    if (value === undefined || value === '') {
      throw new CdcError(
        'SECRET_UNREADABLE',
        `${context.path}: the environment variable ${setting.env} is ${value === undefined ? 'not set' : 'empty'}`,
        {
          fix: `set ${setting.env} in the environment of the service, or point ${context.path} at another variable or a file`,
          details: { setting: context.path, env: setting.env },
        },
      );
    }
    return value;
  }
  const file = resolve(context.baseDir ?? process.cwd(), setting.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CdcError(
      'SECRET_UNREADABLE',
      `${context.path}: cannot read the secret file ${file} (${FILE_PROBLEMS[code] ?? code})`,
      {
        fix: `make ${file} readable by the service, or point ${context.path} at another file`,
        details: { setting: context.path, file },
        cause: error,
      },
    );
  }
  const secret = text.replace(/\r?\n$/u, '');
  if (secret === '') {
    throw new CdcError('SECRET_UNREADABLE', `${context.path}: the secret file ${file} is empty`, {
      fix: `write the secret into ${file}, or point ${context.path} at another file`,
      details: { setting: context.path, file },
    });
  }
  return secret;
}

const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};
