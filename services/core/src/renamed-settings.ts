import { formatConfigPath, type ConfigPath } from './config-file.ts';

/**
 * A setting whose key changed spelling. Files written with the old key keep working for one
 * release, with a warning that says what to write instead; the release after drops the old key.
 */
export interface RenamedSetting {
  /** The mapping that holds the setting, e.g. ['source', 'snapshot']. */
  readonly in: ConfigPath;
  readonly from: string;
  readonly to: string;
}

export interface RenamedSettings {
  /** The input with every old key written under its new one; the input itself is left as it is. */
  readonly value: unknown;
  /** One line per old spelling found, naming the file and line when known. */
  readonly warnings: readonly string[];
  /** One line per setting written both ways (which value was meant cannot be told). */
  readonly problems: readonly string[];
  /** Where a setting of `value` was written in the input: under its old key, for a renamed one. */
  readonly writtenAt: (path: ConfigPath) => ConfigPath;
  /**
   * Every problem of validating `value`: the settings written twice, then the schema's issues,
   * described at the paths as written (`describe` is the caller's describeIssues).
   */
  readonly problemsWith: <I extends { readonly path: PropertyKey[] }>(
    issues: readonly I[],
    describe: (issues: I[]) => string[],
  ) => string[];
}

export interface RenameContext {
  /** Where the input sits in the file (e.g. ['source']), for the paths in messages. */
  readonly prefix?: ConfigPath;
  readonly file?: string;
  readonly lineOf?: (path: ConfigPath) => number | undefined;
}

/** Moves old spellings to their new keys before validation, saying what it moved. */
export function applyRenamedSettings(
  input: unknown,
  renames: readonly RenamedSetting[],
  context: RenameContext = {},
): RenamedSettings {
  const prefix = context.prefix ?? [];
  const warnings: string[] = [];
  const problems: string[] = [];
  const moved = new Map<string, ConfigPath>();
  let value = input;
  for (const rename of renames) {
    const section = getIn(value, rename.in);
    if (!isRecord(section) || !(rename.from in section)) continue;
    const oldPath = [...prefix, ...rename.in, rename.from];
    const newPath = [...prefix, ...rename.in, rename.to];
    const line = context.lineOf?.(oldPath);
    const { [rename.from]: old, ...rest } = section;
    if (rename.to in section) {
      problems.push(
        `${formatConfigPath(oldPath)}${line ? ` (line ${line})` : ''}: set twice, as ${rename.from} and as ` +
          `${rename.to}; keep only ${formatConfigPath(newPath)} (${rename.from} is its old spelling)`,
      );
      value = setIn(value, rename.in, rest);
      continue;
    }
    const where = context.file ? `${context.file}${line ? `:${line}` : ''}: ` : '';
    warnings.push(
      `${where}${formatConfigPath(oldPath)} is deprecated: write ${formatConfigPath(newPath)}; ` +
        'the old spelling goes in the next release',
    );
    value = setIn(value, rename.in, { ...rest, [rename.to]: old });
    moved.set(pathKey([...rename.in, rename.to]), [...rename.in, rename.from]);
  }
  const writtenAt = (path: ConfigPath): ConfigPath => {
    for (let length = path.length; length > 0; length--) {
      const old = moved.get(pathKey(path.slice(0, length)));
      if (old) return [...old, ...path.slice(length)];
    }
    return path;
  };
  return {
    value,
    warnings,
    problems,
    writtenAt,
    problemsWith: (issues, describe) => [
      ...problems,
      ...describe(issues.map((issue) => ({ ...issue, path: [...writtenAt(issue.path)] }))),
    ],
  };
}

const printed = new Set<string>();

/** Prints a configuration warning on stderr once per process, however often the file is read. */
export function printConfigWarning(warning: string): void {
  if (printed.has(warning)) return;
  printed.add(warning);
  console.error(`warning: ${warning}`);
}

function pathKey(path: ConfigPath): string {
  return JSON.stringify(path.map(String));
}

function getIn(value: unknown, path: ConfigPath): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key as string];
  }
  return current;
}

/** A copy of `value` with the mapping at `path` replaced: the caller's input is never changed. */
function setIn(value: unknown, path: ConfigPath, section: Record<string, unknown>): unknown {
  if (path.length === 0) return section;
  const [key, ...rest] = path as [string, ...string[]];
  const record = isRecord(value) ? value : {};
  return { ...record, [key]: setIn(record[key], rest, section) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
