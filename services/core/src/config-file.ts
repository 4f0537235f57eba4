import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { CdcError } from './errors.ts';
import { STACK_ENV_DEFAULTS, kafkaBrokerList } from './stack-env.ts';

/** Where a setting is inside a configuration: keys and list indexes. */
export type ConfigPath = readonly PropertyKey[];

export interface YamlFile {
  /** Absolute path of the file. */
  readonly path: string;
  /** The document as plain data (null for an empty file). */
  readonly root: unknown;
  /** The line a setting starts on, for error messages. */
  readonly lineOf: (path: ConfigPath) => number | undefined;
}

/** Reads a YAML configuration file; a missing file or a syntax error says where and how to fix it. */
export async function readYamlFile(file: string): Promise<YamlFile> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CdcError(
      'INVALID_CONFIG',
      code === 'ENOENT' ? `pipeline file ${path} not found` : `cannot read pipeline file ${path} (${code})`,
      {
        fix: `check the path (relative paths start at ${process.cwd()})`,
        details: { file: path },
        cause: error,
      },
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    throw new CdcError('INVALID_CONFIG', `${path}:${line}:${col}: invalid YAML: ${syntax.message}`, {
      fix: `correct the YAML at line ${line} of ${path}`,
      details: { file: path, line, column: col },
    });
  }
  return {
    path,
    root: doc.toJS() as unknown,
    lineOf: (at) => {
      const node = doc.getIn(at as unknown[], true) as Node | undefined;
      return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    },
  };
}

/** `processors[2].rules[0].field` */
export function formatConfigPath(path: ConfigPath, root = 'config'): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      // A key of a free mapping (a table name such as 'public.events') is not a setting name.
      if (!SETTING_NAME.test(String(part))) return `['${String(part)}']`;
      return `${i > 0 ? '.' : ''}${String(part)}`;
    })
    .join('');
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface IssueContext {
  /** Where the validated value sits in the file (e.g. ['source']), for paths and line numbers. */
  readonly prefix?: ConfigPath;
  readonly lineOf?: (path: ConfigPath) => number | undefined;
  /** The environment variable a value came from, when it did (said in the message). */
  readonly envOf?: (path: ConfigPath) => string | undefined;
}

/**
 * One line per problem: the setting's path, its line in the file, what is wrong and what is
 * allowed. Unknown keys list the known ones (typos are the usual cause).
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  context: IssueContext = {},
): string[] {
  const prefix = context.prefix ?? [];
  return issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const local = key === undefined ? issue.path : [...issue.path, key];
      const path = [...prefix, ...local];
      const line = context.lineOf?.(path);
      const envName = context.envOf?.(local);
      const message =
        key === undefined
          ? issue.message
          : `unknown setting; known here: ${knownKeys(schema, issue.path).join(', ')}`;
      return (
        `${formatConfigPath(path)}${line ? ` (line ${line})` : ''}: ${message}` +
        (envName ? ` (taken from the environment variable ${envName})` : '')
      );
    });
  });
}

/** The keys an object schema accepts at `path`, looking through defaults, pipes, lists and unions. */
export function knownKeys(schema: z.ZodType, path: ConfigPath): string[] {
  let current: z.ZodType[] = [schema];
  for (const key of [...path, undefined]) {
    current = current.flatMap(unwrap);
    if (key === undefined) break;
    current = current.flatMap((s) => {
      if (s instanceof z.ZodArray && typeof key === 'number') return [s.element as z.ZodType];
      if (s instanceof z.ZodObject) {
        const inner = (s.shape as Record<string, z.ZodType | undefined>)[String(key)];
        return inner ? [inner] : [];
      }
      return [];
    });
  }
  const keys = current.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape) : []));
  return [...new Set(keys)];
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) {
    return unwrap(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodPipe) return unwrap(schema.in as z.ZodType);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(unwrap);
  return [schema];
}

/** Error option of every settings mapping: a scalar where a section belongs gets plain words. */
export const MAPPING_ERROR = {
  error: (issue: { code: string }) =>
    issue.code === 'invalid_type' ? 'must be a mapping of settings' : undefined,
};

/** A group of settings; left out, it takes all its defaults. */
export function settingsSection<T extends z.ZodRawShape>(description: string, shape: T) {
  return z
    .strictObject(shape, MAPPING_ERROR)
    .prefault({} as z.input<z.ZodObject<T, z.core.$strict>>)
    .describe(description);
}

/** A Kafka topic name, as every section of the pipeline file that names topics checks it. */
export const topicNameSetting = z
  .string({ error: 'must be a Kafka topic name' })
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be 1 to 249 of a-z A-Z 0-9 . _ - (a Kafka topic name)');

/** The name of a processor or a sink: it names its consumer group, so one rule for both. */
export const serviceNameSetting = z
  .string({ error: 'must be a name' })
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,99}$/,
    'must be 1 to 100 of a-z 0-9 . _ - starting with a letter or digit (it names the consumer group)',
  );

const broker = z
  .string()
  .trim()
  .regex(/^[^,\s:]+:\d+$/, 'must be host:port such as 127.0.0.1:59092');

/** Kafka bootstrap servers: a list or a comma-separated string, the local stack's by default. */
export const brokersSetting = z
  .preprocess(
    (value) => (typeof value === 'string' ? value.split(',') : value),
    z.array(broker).min(1, 'must name at least one broker'),
  )
  .default(kafkaBrokerList(STACK_ENV_DEFAULTS))
  .describe('Bootstrap servers: a list or a comma-separated string of host:port (env KAFKA_BROKERS)');
