import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CdcError } from '@cdc/core';
import type { Health } from '../component.ts';
import { withTimeout } from '../health.ts';
import { repoRoot } from '../repo-root.ts';
import { which } from '../tools.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/** The alert rules of the repository (deploy/prometheus), which every Prometheus of ours loads. */
export function alertRulesFile(): string {
  return join(repoRoot(), 'deploy', 'prometheus', 'alerts.yml');
}

/** The Prometheus configuration of the local stack; `rules` is left out when there is none. */
export function prometheusConfig(options: {
  targetsDir: string;
  alertmanager: string;
  rules: string | undefined;
}): Record<string, unknown> {
  return {
    // Short intervals: tests and the demo wait for a series or an alert, and run for minutes.
    global: { scrape_interval: '5s', evaluation_interval: '5s' },
    ...(options.rules === undefined ? {} : { rule_files: [options.rules] }),
    alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
    scrape_configs: [
      {
        // Every service that runs with CDC_METRICS_TARGETS_DIR set writes a file here
        // (services/core/src/metrics/scrape-targets.ts) while it runs.
        job_name: 'cdc',
        file_sd_configs: [{ files: [join(options.targetsDir, '*.json')], refresh_interval: '5s' }],
      },
    ],
  };
}

/**
 * Prometheus from Debian's package, run as a process of our own with its own configuration and
 * storage (the package's system service, if it runs, keeps its default port and files). It
 * scrapes the services through file-based discovery and sends alerts to our Alertmanager.
 */
export class PrometheusComponent extends DaemonComponent {
  readonly name = 'prometheus' as const;
  readonly title = 'Prometheus';
  readonly envVar = 'PROMETHEUS_URL' as const;
  readonly provisionTitle = 'install prometheus';
  protected readonly portSettings = ['prometheusPort'] as const;

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  otherEnv() {
    return { CDC_METRICS_TARGETS_DIR: this.paths.scrapeTargets };
  }

  override async missingSystemPackages(): Promise<string[]> {
    return (await which('prometheus')) ? [] : ['prometheus'];
  }

  async checkPrerequisites(): Promise<void> {}

  async isProvisioned(): Promise<boolean> {
    return (await this.missingSystemPackages()).length === 0;
  }

  // The system package step installs it.
  async provision(): Promise<void> {}

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const server = await which('prometheus');
    if (!server) {
      throw new CdcError('PREREQUISITE_MISSING', 'prometheus is not installed', {
        fix: 'apt-get install -y prometheus',
      });
    }
    await mkdir(this.paths.scrapeTargets, { recursive: true });
    await mkdir(this.dataDir(), { recursive: true });
    const rules = alertRulesFile();
    const config = join(this.dataDir(), 'prometheus.yml');
    // Written on every start, so that a changed port or a newly added rules file takes effect.
    const text = stringify(
      prometheusConfig({
        targetsDir: this.paths.scrapeTargets,
        alertmanager: `127.0.0.1:${this.settings.alertmanagerPort}`,
        rules: existsSync(rules) ? rules : undefined,
      }),
    );
    await writeFile(
      config,
      `# Written by the local stack on every start; edit services/stack/src/components/prometheus.ts instead.\n${text}`,
    );
    return {
      command: server,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dataDir(), 'tsdb')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=127.0.0.1:${this.port}`,
      ],
    };
  }

  async probe(): Promise<Health> {
    const ready = await withTimeout(fetch(`${this.url()}/-/ready`), 3000, 'Prometheus HTTP request');
    if (!ready.ok) return { healthy: false, detail: `HTTP ${ready.status} from /-/ready` };
    const info = await withTimeout(
      fetch(`${this.url()}/api/v1/status/buildinfo`),
      3000,
      'Prometheus HTTP request',
    );
    const version = info.ok
      ? ((await info.json()) as { data?: { version?: string } }).data?.version
      : undefined;
    return { healthy: true, detail: `prometheus ${version ?? '?'}` };
  }
}
