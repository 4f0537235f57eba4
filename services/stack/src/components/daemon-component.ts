import { CdcError } from '@cdc/core';
import type { StackEnvName } from '@cdc/core';
import type { Component, ComponentName, Health, Progress } from '../component.ts';
import { ownedPid, removePidFile, startDaemon, stopProcess } from '../daemon.ts';
import type { StackPaths } from '../paths.ts';
import { portInUse } from '../ports.ts';
import { STACK_SETTINGS, type PortSetting, type StackSettings } from '../settings.ts';

export interface LaunchCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** A server that the stack runs as a detached child process with a pid file of its own. */
export abstract class DaemonComponent implements Component {
  abstract readonly name: ComponentName;
  abstract readonly title: string;
  abstract readonly envVar: StackEnvName;
  abstract readonly provisionTitle: string;
  readonly dependsOn: readonly ComponentName[] = [];
  protected readonly settings: StackSettings;
  protected readonly paths: StackPaths;

  constructor(settings: StackSettings, paths: StackPaths) {
    this.settings = settings;
    this.paths = paths;
  }

  /** The settings that choose this server's ports; the first is the one clients use. */
  protected abstract readonly portSettings: readonly [PortSetting, ...PortSetting[]];
  abstract url(): string;
  abstract probe(): Promise<Health>;
  abstract isProvisioned(): Promise<boolean>;
  abstract provision(progress: Progress): Promise<void>;
  abstract checkPrerequisites(): Promise<void>;
  /** Prepares data folders and config files, and returns how to launch the server. */
  protected abstract prepareLaunch(progress: Progress): Promise<LaunchCommand>;

  async missingSystemPackages(): Promise<string[]> {
    return [];
  }

  get port(): number {
    return this.settings[this.portSettings[0]];
  }

  dataDir(): string {
    return this.paths.data(this.name);
  }

  logFile(): string {
    return this.paths.log(this.name);
  }

  ownPid(): Promise<number | undefined> {
    return ownedPid(this.paths.pid(this.name), this.settings.dir);
  }

  async start(progress: Progress): Promise<void> {
    if (await this.ownPid()) return; // started earlier and still coming up
    for (const key of this.portSettings) {
      const port = this.settings[key];
      if (await portInUse(port)) {
        const env = STACK_SETTINGS[key].env;
        throw new CdcError('PORT_IN_USE', `port ${port} for ${this.title} is used by another program`, {
          fix: `stop that program, or choose another port with ${env}=<port>`,
        });
      }
    }
    const launch = await this.prepareLaunch(progress);
    await startDaemon({
      ...launch,
      cwd: this.dataDir(),
      logFile: this.logFile(),
      pidFile: this.paths.pid(this.name),
    });
  }

  async stop(): Promise<'stopped' | 'not running'> {
    const pid = await this.ownPid();
    if (pid) await stopProcess(pid);
    await removePidFile(this.paths.pid(this.name));
    return pid ? 'stopped' : 'not running';
  }
}
