import { join } from 'node:path';
import type { StackSettings } from './settings.ts';

/** Where the stack keeps its files; everything lives below the stack folder. */
export function stackPaths(settings: StackSettings) {
  return {
    dist: (name: string) => join(settings.dir, 'dist', name),
    build: (name: string) => join(settings.dir, 'build', name),
    data: (name: string) => join(settings.dir, 'data', name),
    log: (name: string) => join(settings.dir, 'logs', `${name}.log`),
    pid: (name: string) => join(settings.dir, 'run', `${name}.pid`),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;
