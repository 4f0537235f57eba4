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
    /**
     * Prometheus' file-based discovery folder (CDC_METRICS_TARGETS_DIR): outside data/, since the
     * files in it belong to the running services, not to Prometheus.
     */
    scrapeTargets: join(settings.dir, 'prometheus', 'targets'),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;
