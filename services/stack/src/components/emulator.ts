import { join } from 'node:path';
import type { StackEnvName } from '@cdc/core';
import type { Health } from '../component.ts';
import { withTimeout } from '../health.ts';
import type { PortSetting } from '../settings.ts';
import { repoRoot } from '../repo-root.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/**
 * A SaaS API we cannot reach from tests, played by our own emulator (services/emulators): a Node
 * process of this checkout, on the Node that runs the stack. Nothing to provision: npm ci brought
 * its libraries. It keeps its state in memory, so a restart starts it empty.
 */
abstract class EmulatorComponent extends DaemonComponent {
  readonly provisionTitle = 'nothing to provision (services/emulators)';
  /** The `main.ts` command that runs it. */
  protected abstract readonly api: 'notion' | 'calendar';

  async checkPrerequisites(): Promise<void> {}

  async isProvisioned(): Promise<boolean> {
    return true;
  }

  async provision(): Promise<void> {}

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const main = join(repoRoot(), 'services', 'emulators', 'src', 'main.ts');
    return {
      command: process.execPath,
      args: [main, this.api, '--port', String(this.port), '--host', '127.0.0.1'],
    };
  }

  async probe(): Promise<Health> {
    const response = await withTimeout(fetch(`${this.url()}/_emulator/health`), 3000, `${this.title} health`);
    if (!response.ok) return { healthy: false, detail: `HTTP ${response.status} from /_emulator/health` };
    const health = (await response.json()) as { api?: string };
    if (health.api !== this.api) {
      return {
        healthy: false,
        detail: `another program answers on port ${this.port} (${JSON.stringify(health)})`,
      };
    }
    return { healthy: true, detail: `${this.api} emulator` };
  }
}

/** Notion's API (version 2025-09-03, data sources), for the Notion sink. */
export class NotionComponent extends EmulatorComponent {
  readonly name = 'notion' as const;
  readonly title = 'Notion API emulator';
  readonly envVar: StackEnvName = 'NOTION_URL';
  protected readonly api = 'notion' as const;
  protected readonly portSettings: readonly [PortSetting] = ['notionPort'];

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

/** Google Calendar API v3 and its OAuth2 token endpoint, for the Google Calendar sink. */
export class CalendarComponent extends EmulatorComponent {
  readonly name = 'calendar' as const;
  readonly title = 'Google Calendar API emulator';
  readonly envVar: StackEnvName = 'GOOGLE_CALENDAR_URL';
  protected readonly api = 'calendar' as const;
  protected readonly portSettings: readonly [PortSetting] = ['calendarPort'];

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}
