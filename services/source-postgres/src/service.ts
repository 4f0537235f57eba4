import type { AddressInfo } from 'node:net';
import {
  FailureTally,
  ServiceMetrics,
  closeHealthServer,
  isTransient,
  mirrorReadiness,
  reasonOf,
  serveHealth,
  type ErrorCode,
} from '@cdc/core';
import type { SourceConfig } from './config.ts';
import { connectToSource, waitForSlotRelease } from './database.ts';
import { sourceEndpoints, sourceFailure } from './failures.ts';
import { preflight, type PreflightReport } from './preflight.ts';
import { ReconnectLoop, type ReconnectEvent } from './reconnect-loop.ts';
import { SlotWatch } from './slot-watch.ts';
import { SourceMetrics } from './source-metrics.ts';
import { notReadyReason, reconnectStatus, type SourcePhase, type SourceStatus } from './source-status.ts';
import { prepareSnapshot, type PrepareResult } from './snapshot/snapshotter.ts';
import { ChangeStream } from './stream/change-stream.ts';
import {
  addCounters,
  newCounters,
  processingLag,
  type ChangeStreamMetrics,
} from './stream/stream-progress.ts';

export type { ReconnectStatus, SourcePhase, SourceStatus } from './source-status.ts';

/** What the service tells its caller as it goes, for a log line each. */
export type SourceEvent =
  | { kind: 'health'; url: string }
  /** The first preflight that passed (reconnects run it again, silently). */
  | { kind: 'preflight'; report: PreflightReport }
  /** The first snapshot decision, and every snapshot taken later (a reconnect after a crash during one). */
  | { kind: 'snapshot'; result: PrepareResult }
  /** Streaming, at the first start or again after an outage (`resumed`). */
  | { kind: 'streaming'; resumed?: { afterMs: number; attempts: number } }
  /** Streaming stopped on a transient failure; reconnecting at once. */
  | { kind: 'interrupted'; reason: string; code: ErrorCode | undefined }
  /** An attempt to connect failed on a transient failure; the next one in `delayMs`. */
  | { kind: 'retrying'; reason: string; code: ErrorCode | undefined; attempt: number; delayMs: number }
  /** The heartbeat started failing for a reason other than the server being away (it retries on its own). */
  | { kind: 'heartbeat-error'; error: unknown }
  | { kind: 'stopped'; reason: string };

export interface RunSourceOptions {
  /** Port of the health server on 127.0.0.1; 0 picks a free one; undefined: no health server. */
  readonly healthPort?: number;
  readonly onEvent?: (event: SourceEvent) => void;
  /** How long one attempt waits for a slot still held by a predecessor that died (default 15 s). */
  readonly slotReleaseTimeoutMs?: number;
}

export interface SourceHandle {
  /**
   * Stops streaming, or the wait for a server: records Kafka has not acknowledged are simply not
   * confirmed to the slot, so the next start sends them again. Closes the producer and
   * connections. Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Resolves when the source ended on stop() or after an initial_only snapshot; rejects with the
   * failure no waiting cures (failures.ts): a NeedsOperatorError (exit 75) or another error (1).
   */
  readonly done: Promise<void>;
  status(): Promise<SourceStatus>;
  /** The health server's port, when there is one. */
  readonly healthPort: number | undefined;
  /** Its metrics (stage source, kind postgres), served on /metrics of its health server. */
  readonly metrics: ServiceMetrics;
}

/**
 * Runs the PostgreSQL source: preflight, the snapshot that snapshot.mode asks for, then the
 * change stream until stop(). Transient failures of PostgreSQL, Kafka or the registry, at any
 * step, are waited out in process (reconnect-loop.ts): every attempt runs the same steps again,
 * and the stream restarts from the slot's confirmed position. Signals are the caller's business
 * (the CLI installs them). Returns once the health server listens; the work goes on behind `done`.
 */
export async function runSource(config: SourceConfig, options: RunSourceOptions = {}): Promise<SourceHandle> {
  const emit = options.onEvent ?? (() => undefined);
  const endpoints = sourceEndpoints(config);
  let phase: SourcePhase = 'preflight';
  let snapshot: PrepareResult | undefined;
  let stream: ChangeStream | undefined; // the one streaming, or starting
  let earlier = newCounters(); // of the streams before it
  let reconnects = 0;
  const failures = new FailureTally();
  let preflightShown = false;
  let streamed = false; // from the slot, at least once
  let lastError: string | undefined;
  let stopReason: string | undefined;
  const counters = () => addCounters(earlier, stream?.counters ?? newCounters());
  const slotWatch = new SlotWatch(config.database.url, config.slot);
  const observer = new SourceMetrics(
    new ServiceMetrics({ stage: 'source', kind: 'postgres', service: config.name }),
    {
      slot: config.slot,
      heartbeats: config.heartbeat.interval_ms > 0,
      readSlot: () => slotWatch.positions(),
      processingLagMs: () => processingLag(Date.now(), counters().lastAcknowledgedCommitTimeMs),
      failures: () => failures.counts(),
    },
  );
  const { metrics } = observer;

  const attempt = async (signal: AbortSignal): Promise<ChangeStream | undefined> => {
    const report = await check(config);
    if (!preflightShown) emit({ kind: 'preflight', report });
    preflightShown = true;
    signal.throwIfAborted();
    const slotExists = await waitForSlotRelease(config, options.slotReleaseTimeoutMs ?? 15_000, signal);
    signal.throwIfAborted();
    // A slot this process has streamed from has its snapshot behind it: a reconnect that finds
    // it again streams on at once (prepareSnapshot would come to the same decision, after reading
    // the state topic through a consumer group: seconds, and Kafka may be what we wait for).
    if (!(streamed && slotExists)) {
      if (phase === 'preflight') phase = 'snapshot';
      const prepared = await prepareSnapshot(config, { observer });
      if (!snapshot || prepared.snapshot === 'taken') emit({ kind: 'snapshot', result: prepared });
      snapshot = prepared;
      if (config.snapshot.mode === 'initial_only') return undefined;
    }
    signal.throwIfAborted();
    const next = new ChangeStream({
      config,
      observer,
      onHeartbeatError: (error, failuresInARow) => {
        // The server being away is the stream's to report (it fails too); say the rest once.
        if (failuresInARow === 1 && !isTransient(sourceFailure(error, endpoints)))
          emit({ kind: 'heartbeat-error', error });
      },
    });
    stream = next;
    const settled = () => {
      earlier = addCounters(earlier, next.counters);
      if (stream === next) stream = undefined;
    };
    void next.done.then(settled, settled);
    const stopOnAbort = () => void next.stop();
    signal.addEventListener('abort', stopOnAbort, { once: true });
    try {
      await next.start();
    } finally {
      signal.removeEventListener('abort', stopOnAbort);
    }
    return next;
  };

  const onLoopEvent = (event: ReconnectEvent) => {
    switch (event.kind) {
      case 'interrupted':
        phase = 'reconnecting';
        lastError = event.outage.reason;
        failures.add(event.error);
        observer.retried();
        emit({ kind: 'interrupted', reason: event.outage.reason, code: event.outage.code });
        return;
      case 'retrying':
        phase = 'reconnecting';
        lastError = event.outage.reason;
        failures.add(event.error);
        observer.retried();
        emit({
          kind: 'retrying',
          reason: event.outage.reason,
          code: event.outage.code,
          attempt: event.outage.attempt,
          delayMs: Math.max(0, (event.outage.retryAtMs ?? Date.now()) - Date.now()),
        });
        return;
      case 'connected':
        phase = 'streaming';
        streamed = true;
        observer.streaming();
        if (!event.after) return emit({ kind: 'streaming' });
        reconnects += 1;
        emit({
          kind: 'streaming',
          resumed: { afterMs: Date.now() - event.after.sinceMs, attempts: event.after.attempt },
        });
    }
  };

  const loop = new ReconnectLoop<ChangeStream>({
    connect: attempt,
    classify: (error) => sourceFailure(error, endpoints),
    onEvent: onLoopEvent,
  });

  const notReady = () => {
    const outage = phase === 'reconnecting' ? loop.outage : undefined;
    return notReadyReason(phase, { outage, stopReason, lastError });
  };
  mirrorReadiness(metrics, notReady);

  const status = async (): Promise<SourceStatus> => {
    let lags: ChangeStreamMetrics | undefined;
    if (phase === 'streaming' && stream) lags = await stream.metrics().catch(() => undefined);
    const outage = phase === 'reconnecting' ? loop.outage : undefined;
    return {
      phase,
      notReady: notReady(),
      reconnect: reconnectStatus(outage),
      reconnects,
      failuresByCode: failures.counts(),
      snapshot,
      counters: counters(),
      metrics: lags,
      lastError,
    };
  };

  const health =
    options.healthPort === undefined ? undefined : await serveHealth(options.healthPort, status, metrics);
  const healthPort = health ? (health.address() as AddressInfo).port : undefined;
  if (healthPort !== undefined) emit({ kind: 'health', url: `http://127.0.0.1:${healthPort}` });

  const done = loop.run().then(
    async (ended) => {
      const reason =
        ended === 'finished'
          ? 'snapshot.mode is initial_only: snapshot done'
          : phase === 'reconnecting'
            ? 'stopped while reconnecting'
            : 'stopped';
      phase = 'stopped';
      stopReason = reason;
      emit({ kind: 'stopped', reason });
      await closeHealthServer(health);
      await slotWatch.close();
    },
    async (error: unknown) => {
      phase = 'failed';
      lastError = reasonOf(error);
      failures.add(error);
      await closeHealthServer(health);
      await slotWatch.close();
      throw error;
    },
  );
  done.catch(() => undefined); // observed through `done` by the caller

  return {
    healthPort,
    metrics,
    done,
    status,
    async stop() {
      await loop.stop();
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
    await client.end().catch(() => undefined);
  }
}
