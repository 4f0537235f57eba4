import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The repository root: the nearest folder above this file that has the workspace package.json. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'services'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('could not find the repository root above ' + import.meta.url);
    dir = parent;
  }
  cached = resolve(dir);
  return cached;
}
