import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CdcError } from '@cdc/core';
import { runCommand } from './exec.ts';

const execFileAsync = promisify(execFile);

/** The full path of a program on PATH, or undefined. */
export async function which(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Where official installers put programs that a non-login shell's PATH often lacks (the Go
 * tarball installs to /usr/local/go, for instance).
 */
export const WELL_KNOWN_PLACES: Readonly<Record<string, readonly string[]>> = {
  go: ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'],
};

/** The full path of a program: on PATH, else in its well-known install places; or undefined. */
export async function findProgram(
  program: string,
  places: readonly string[] = WELL_KNOWN_PLACES[program] ?? [],
): Promise<string | undefined> {
  const onPath = await which(program);
  if (onPath) return onPath;
  for (const candidate of places) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

export async function requireProgram(program: string, purpose: string, install: string): Promise<string> {
  const path = await findProgram(program);
  if (path) return path;
  throw new CdcError('PREREQUISITE_MISSING', `${program} is needed ${purpose} but is not on PATH`, {
    fix: install,
  });
}

export interface JavaRuntime {
  path: string;
  major: number;
}

export async function javaMajor(javaPath: string): Promise<number | undefined> {
  try {
    const { stderr } = await execFileAsync(javaPath, ['-version']);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
    if (!match) return undefined;
    const first = Number(match[1]);
    return first === 1 ? Number(match[2]) : first;
  } catch {
    return undefined;
  }
}

/**
 * Finds a Java runtime whose major version is in [min, max]: CDC_STACK_JAVA_HOME, JAVA_HOME, the
 * `java` on PATH, then every JDK under /usr/lib/jvm. Earlier candidates win.
 */
export async function findJava(
  range: { min: number; max: number },
  extra: string[] = [],
): Promise<JavaRuntime | undefined> {
  const candidates: string[] = [];
  for (const home of [process.env.CDC_STACK_JAVA_HOME, process.env.JAVA_HOME]) {
    if (home) candidates.push(join(home, 'bin', 'java'));
  }
  const onPath = await which('java');
  if (onPath) candidates.push(onPath);
  try {
    for (const entry of (await readdir('/usr/lib/jvm')).sort())
      candidates.push(join('/usr/lib/jvm', entry, 'bin', 'java'));
  } catch {
    // no system JDKs folder
  }
  candidates.push(...extra);
  for (const path of new Set(candidates)) {
    const major = await javaMajor(path);
    if (major !== undefined && major >= range.min && major <= range.max) return { path, major };
  }
  return undefined;
}

/** Installs Debian packages, when we are root on a machine with apt; otherwise says what to run. */
export async function aptInstall(
  packages: string[],
  logFile: string,
  onLine?: (line: string) => void,
): Promise<void> {
  if (packages.length === 0) return;
  const apt = await which('apt-get');
  const isRoot = process.getuid?.() === 0;
  if (!apt || !isRoot) {
    throw new CdcError('PREREQUISITE_MISSING', `Debian packages missing: ${packages.join(', ')}`, {
      fix: apt
        ? `run: sudo apt-get install -y ${packages.join(' ')}`
        : `install ${packages.join(', ')} with your system's package manager`,
    });
  }
  const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, logFile, onLine };
  await runCommand(apt, ['update', '-q'], options);
  await runCommand(apt, ['install', '-y', '-q', '--no-install-recommends', ...packages], options);
}
