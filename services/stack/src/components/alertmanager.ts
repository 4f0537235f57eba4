import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CdcError } from '@cdc/core';
import type { Health } from '../component.ts';
import { withTimeout } from '../health.ts';
import { which } from '../tools.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/** Debian's package names the program after itself. */
const PROGRAM = 'prometheus-alertmanager';

/**
 * Alertmanager's configuration for the local stack: alerts are grouped and kept, and sent
 * nowhere (a receiver without integrations), so that tests and people read them from its API and UI.
 */
export function alertmanagerConfig(): Record<string, unknown> {
  return {
    route: { receiver: 'local', group_wait: '5s', group_interval: '5s', repeat_interval: '1h' },
    receivers: [{ name: 'local' }],
  };
}

/** Alertmanager from Debian's package, run as a process of our own, as Prometheus is. */
export class AlertmanagerComponent extends DaemonComponent {
  readonly name = 'alertmanager' as const;
  readonly title = 'Alertmanager';
  readonly envVar = 'ALERTMANAGER_URL' as const;
  readonly provisionTitle = `install ${PROGRAM}`;
  protected readonly portSettings = ['alertmanagerPort'] as const;

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  override async missingSystemPackages(): Promise<string[]> {
    return (await which(PROGRAM)) ? [] : [PROGRAM];
  }

  async checkPrerequisites(): Promise<void> {}

  async isProvisioned(): Promise<boolean> {
    return (await this.missingSystemPackages()).length === 0;
  }

  // The system package step installs it.
  async provision(): Promise<void> {}

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const server = await which(PROGRAM);
    if (!server) {
      throw new CdcError('PREREQUISITE_MISSING', `${PROGRAM} is not installed`, {
        fix: `apt-get install -y ${PROGRAM}`,
      });
    }
    await mkdir(this.dataDir(), { recursive: true });
    const config = join(this.dataDir(), 'alertmanager.yml');
    await writeFile(
      config,
      `# Written by the local stack on every start; edit services/stack/src/components/alertmanager.ts instead.\n${stringify(alertmanagerConfig())}`,
    );
    return {
      command: server,
      args: [
        `--config.file=${config}`,
        `--storage.path=${this.dataDir()}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        // An empty address turns clustering off: it would listen on 0.0.0.0:9094, which the
        // package's own service may hold, and one instance has no peers.
        '--cluster.listen-address=',
      ],
    };
  }

  async probe(): Promise<Health> {
    const ready = await withTimeout(fetch(`${this.url()}/-/ready`), 3000, 'Alertmanager HTTP request');
    if (!ready.ok) return { healthy: false, detail: `HTTP ${ready.status} from /-/ready` };
    const status = await withTimeout(fetch(`${this.url()}/api/v2/status`), 3000, 'Alertmanager HTTP request');
    const version = status.ok
      ? ((await status.json()) as { versionInfo?: { version?: string } }).versionInfo?.version
      : undefined;
    return { healthy: true, detail: `alertmanager ${version ?? '?'}` };
  }
}
