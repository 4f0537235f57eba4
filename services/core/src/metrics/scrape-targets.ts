import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceIdentity } from './service-metrics.ts';

/**
 * The label each registered target carries. The scraped series already carry `stage`, `kind` and
 * `service` (service-metrics.ts); target labels of the same names would clash with them, so the
 * target is named by a label of its own.
 */
export const SCRAPE_TARGET_LABEL = 'cdc_target';

/**
 * The folder of Prometheus file-based service discovery (CDC_METRICS_TARGETS_DIR), or undefined
 * when it is not set: pass `process.env`, so that a service registers only where asked to (the
 * local stack's `stack env` sets it; Kubernetes finds its pods otherwise).
 */
export function scrapeTargetsDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const dir = env.CDC_METRICS_TARGETS_DIR?.trim();
  return dir ? dir : undefined;
}

/** The file a service's target lives in: one per process and port, so instances never collide. */
export function scrapeTargetFile(
  dir: string,
  identity: ServiceIdentity,
  port: number,
  pid = process.pid,
): string {
  const name = `${identity.stage}-${identity.service}-${pid}-${port}`.replaceAll(/[^\w.-]+/g, '_');
  return join(dir, `${name}.json`);
}

/**
 * Registers a service's metrics endpoint (127.0.0.1:<port>) with Prometheus' file-based
 * discovery by writing `<stage>-<service>-<pid>-<port>.json` into `dir`, and returns the function
 * that removes it again. The file is written under a temporary name and renamed, so Prometheus,
 * which reads every `*.json` of the folder, never reads half a file.
 */
export async function registerScrapeTarget(
  dir: string,
  identity: ServiceIdentity,
  port: number,
): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  await removeTargetsOfEndedProcesses(dir);
  const file = scrapeTargetFile(dir, identity, port);
  const group = [
    {
      targets: [`127.0.0.1:${port}`],
      labels: { [SCRAPE_TARGET_LABEL]: `${identity.stage}/${identity.service}` },
    },
  ];
  // A dot file that does not end in .json: outside the `*.json` pattern Prometheus reads.
  const temporary = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(group, null, 2)}\n`);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return () => rm(file, { force: true });
}

/**
 * A process killed without a chance to clean up (kill -9, a crash) leaves its file behind, and
 * Prometheus would scrape a closed port for ever: files whose process no longer runs go.
 */
export async function removeTargetsOfEndedProcesses(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = /-(\d+)-\d+\.json$/u.exec(name)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) await rm(join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
