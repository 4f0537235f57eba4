import { Redis } from 'ioredis';
import { CdcError } from '@cdc/core';
import type { Health } from '../component.ts';
import { withTimeout } from '../health.ts';
import { which } from '../tools.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/** Redis from the system's packages, with an append-only file so that sink state survives restarts. */
export class RedisComponent extends DaemonComponent {
  readonly name = 'redis' as const;
  readonly title = 'Redis';
  readonly envVar = 'REDIS_URL' as const;
  readonly provisionTitle = 'install redis-server';
  protected readonly portSettings = ['redisPort'] as const;

  url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  override async missingSystemPackages(): Promise<string[]> {
    return (await which('redis-server')) ? [] : ['redis-server'];
  }

  async checkPrerequisites(): Promise<void> {}

  async isProvisioned(): Promise<boolean> {
    return (await this.missingSystemPackages()).length === 0;
  }

  // The system package step installs it.
  async provision(): Promise<void> {}

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const server = await which('redis-server');
    if (!server) {
      throw new CdcError('PREREQUISITE_MISSING', 'redis-server is not installed', {
        fix: 'apt-get install -y redis-server',
      });
    }
    return {
      command: server,
      args: [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dataDir(),
        '--daemonize',
        'no',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--logfile',
        '',
      ],
    };
  }

  async probe(): Promise<Health> {
    const client = new Redis(this.url(), {
      lazyConnect: true,
      connectTimeout: 1500,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    client.on('error', () => undefined);
    try {
      await withTimeout(client.connect(), 3000, 'Redis connect');
      const info = await withTimeout(client.info('server'), 3000, 'Redis INFO');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
      return { healthy: true, detail: `redis ${version}` };
    } finally {
      client.disconnect();
    }
  }
}
