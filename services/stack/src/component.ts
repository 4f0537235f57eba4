import type { InactiveSlot, StackEnvName } from '@cdc/core';

export type ComponentName =
  | 'postgres'
  | 'kafka'
  | 'registry'
  | 'redis'
  | 'mongo'
  | 'fhir'
  | 'notion'
  | 'calendar'
  | 'zipkin'
  | 'prometheus'
  | 'alertmanager';

export interface Health {
  healthy: boolean;
  /** Version or reason, shown by `cdc stack status`. */
  detail: string;
}

/** Reports progress lines while a long step runs. */
export type Progress = (line: string) => void;

/**
 * One server of the local stack. Each knows how to fetch or build itself (once), start, answer a
 * health probe and stop; the stack orchestrates them.
 */
export interface Component {
  readonly name: ComponentName;
  readonly title: string;
  /** The contract variable (docs/contracts.md) this server is reached through. */
  readonly envVar: StackEnvName;
  /** Further contract variables that come with this server (Prometheus: its discovery folder). */
  otherEnv?(): Partial<Record<StackEnvName, string>>;
  readonly port: number;
  /** Components that must be healthy before this one starts. */
  readonly dependsOn: readonly ComponentName[];
  /** Debian packages it needs when its programs are missing. */
  missingSystemPackages(): Promise<string[]>;
  /** Throws a CdcError naming what to install when a program it needs is absent. */
  checkPrerequisites(): Promise<void>;
  isProvisioned(): Promise<boolean>;
  /** What provisioning will do, for the progress display. */
  readonly provisionTitle: string;
  provision(progress: Progress): Promise<void>;
  start(progress: Progress): Promise<void>;
  stop(): Promise<'stopped' | 'not running'>;
  probe(): Promise<Health>;
  /**
   * Replication slots no process streams from, which keep WAL (PostgreSQL only): a warning of
   * `cdc stack status`, not a sign of an unhealthy server.
   */
  inactiveSlots?(): Promise<InactiveSlot[]>;
  /** The pid of the server when this stack started it and it still runs. */
  ownPid(): Promise<number | undefined>;
  url(): string;
  logFile(): string;
  /** Where the server keeps its data; `cdc stack clean` deletes it. */
  dataDir(): string;
}
