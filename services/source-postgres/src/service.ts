import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { CdcError, closeHealthServer, errorMessage, serveHealth } from '@cdc/core';
import type { SourceConfig } from './config.ts';
import { preflight, type PreflightReport } from './preflight.ts';
import { prepareSnapshot, type PrepareResult } from './snapshot/snapshotter.ts';
import { ChangeStream, type ChangeStreamCounters, type ChangeStreamMetrics } from './stream/change-stream.ts';

export type SourcePhase = 'preflight' | 'snapshot' | 'streaming' | 'stopped' | 'failed';

/** What the service tells its caller as it goes: one event per phase, for a log line each. */
export type SourceEvent =
  | { kind: 'health'; url: string }
  | { kind: 'preflight'; report: PreflightReport }
  | { kind: 'snapshot'; result: PrepareResult }
  | { kind: 'streaming' }
  | { kind: 'heartbeat-error'; error: unknown }
  | { kind: 'stopped'; reason: string };

export interface RunSourceOptions {
  /** Port of the health server on 127.0.0.1; 0 picks a free one; undefined: no health server. */
  readonly healthPort?: number;
  readonly onEvent?: (event: SourceEvent) => void;
  /** How long to wait for a slot still held by a predecessor that died (default 15 s). */
  readonly slotReleaseTimeoutMs?: number;
}

export interface SourceStatus {
  phase: SourcePhase;
  /** Why /ready answers 503, in words; undefined while streaming. */
  notReady: string | undefined;
  snapshot: PrepareResult | undefined;
  counters: ChangeStreamCounters | undefined;
  metrics: ChangeStreamMetrics | undefined;
  lastError: string | undefined;
}

export interface SourceHandle {
  /**
   * Stops streaming: records Kafka has not acknowledged are simply not confirmed to the slot, so
   * the next start sends them again. Closes the producer and connections. Idempotent.
   */
  stop(): Promise<void>;
  /** Resolves when the source ended on stop() or after an initial_only snapshot; rejects on failure. */
  readonly done: Promise<void>;
  status(): Promise<SourceStatus>;
  /** The health server's port, when there is one. */
  readonly healthPort: number | undefined;
}

/**
 * Runs the PostgreSQL source: preflight, the snapshot that snapshot.mode asks for, then the
 * change stream until stop() or a failure. Signals are the caller's business (the CLI installs
 * them). Returns once the health server listens; the work goes on behind `done`.
 */
export async function runSource(config: SourceConfig, options: RunSourceOptions = {}): Promise<SourceHandle> {
  const emit = options.onEvent ?? (() => undefined);
  let phase: SourcePhase = 'preflight';
  let snapshot: PrepareResult | undefined;
  let stream: ChangeStream | undefined;
  let lastError: string | undefined;
  let stopReason: string | undefined;
  let stopping = false;

  const status = async (): Promise<SourceStatus> => {
    let metrics: ChangeStreamMetrics | undefined;
    if (phase === 'streaming' && stream) metrics = await stream.metrics().catch(() => undefined);
    return {
      phase,
      notReady: notReady(),
      snapshot,
      counters: stream ? { ...stream.counters } : undefined,
      metrics,
      lastError,
    };
  };
  const notReady = (): string | undefined => {
    switch (phase) {
      case 'streaming':
        return undefined;
      case 'preflight':
        return 'checking the database (preflight)';
      case 'snapshot':
        return 'taking the snapshot';
      case 'stopped':
        return `stopped${stopReason ? `: ${stopReason}` : ''}`;
      case 'failed':
        return `failed: ${lastError ?? 'unknown error'}`;
    }
  };

  const health = options.healthPort === undefined ? undefined : await serveHealth(options.healthPort, status);
  const healthPort = health ? (health.address() as AddressInfo).port : undefined;
  if (healthPort !== undefined) emit({ kind: 'health', url: `http://127.0.0.1:${healthPort}` });

  const work = (async () => {
    emit({ kind: 'preflight', report: await check(config) });
    if (stopping) return 'stopped before the snapshot';
    await waitForSlotRelease(config, options.slotReleaseTimeoutMs ?? 15_000);
    phase = 'snapshot';
    snapshot = await prepareSnapshot(config);
    emit({ kind: 'snapshot', result: snapshot });
    if (config.snapshot.mode === 'initial_only') return 'snapshot.mode is initial_only: snapshot done';
    if (stopping) return 'stopped before streaming';
    stream = new ChangeStream({
      config,
      onHeartbeatError: (error) => emit({ kind: 'heartbeat-error', error }),
    });
    await stream.start();
    if (stopping) {
      await stream.stop();
      return 'stopped';
    }
    phase = 'streaming';
    emit({ kind: 'streaming' });
    await stream.done;
    return 'stopped';
  })();

  const done = work.then(
    async (reason) => {
      phase = 'stopped';
      stopReason = reason;
      emit({ kind: 'stopped', reason });
      await closeHealthServer(health);
    },
    async (error: unknown) => {
      phase = 'failed';
      lastError = errorMessage(error);
      await stream?.stop().catch(() => undefined);
      await closeHealthServer(health);
      throw error;
    },
  );
  done.catch(() => undefined); // observed through `done` by the caller

  return {
    healthPort,
    done,
    status,
    async stop() {
      stopping = true;
      await stream?.stop();
      await done.catch(() => undefined);
    },
  };
}

/** Connects and runs the preflight; fails with its report (every problem with its fix). */
async function check(config: SourceConfig): Promise<PreflightReport> {
  const client = await connectToSource(config);
  try {
    return await preflight(client, config);
  } finally {
    await client.end();
  }
}

/** A connection to the source database; an unreachable server is a retriable error with its fix. */
export async function connectToSource(config: SourceConfig): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.database.url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CdcError('DATABASE_UNREACHABLE', `cannot connect to the database: ${errorMessage(error)}`, {
      retriable: true,
      fix: 'check database.url (or CDC_PG_URL) and that PostgreSQL is running (npm run stack:status)',
      cause: error,
    });
  }
  return client;
}

/**
 * After a crash (kill -9, lost host) PostgreSQL notices the dead replication connection only a
 * moment later; until then the slot is active and cannot be streamed from. Waits for that.
 */
async function waitForSlotRelease(config: SourceConfig, timeoutMs: number): Promise<void> {
  const client = await connectToSource(config);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ pid: number | null }>(
        'select active_pid as pid from pg_replication_slots where slot_name = $1',
        [config.slot],
      );
      const pid = rows[0]?.pid;
      if (pid === undefined || pid === null) return;
      if (Date.now() > deadline) {
        throw new CdcError('SLOT_IN_USE', `slot ${config.slot} is in use by server process ${pid}`, {
          retriable: true,
          fix: `stop the other source reading slot ${config.slot}, or end it: select pg_terminate_backend(${pid});`,
          details: { slot: config.slot, pid },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
}
