import { z } from 'zod';
import {
  CdcError,
  SHARED_SETTINGS,
  ServiceMetrics,
  SinkRuntime,
  rateLimitClock,
  redactSecrets,
  redactUrl,
  serveService,
  type ServeOptions,
  type FailureCounts,
  type Phase,
  type Sink,
  type SinkMetrics,
  type SinkRuntimeEvent,
  type WaitRecorder,
  type Waiting,
} from '@cdc/core';
import { ALL_SINK_KINDS, SINK_KINDS } from './kinds.ts';
import { runtimeSettings } from './shared-settings.ts';
import type { SinkKind, TargetSection } from './sink-kind.ts';

// Mapped over a type parameter, so that the tuple of kinds becomes a tuple of their entries.
type EntriesOf<K extends readonly { readonly entry: z.ZodObject }[]> = {
  -readonly [I in keyof K]: K[I]['entry'];
};
const entries = SINK_KINDS.map((kind) => kind.entry) as unknown as EntriesOf<typeof SINK_KINDS>;

/** The `kind:` values there are, in the registry's order (kinds.ts). */
export const SINK_KIND_NAMES: readonly SinkKindName[] = SINK_KINDS.map((kind) => kind.kind);
export type SinkKindName = (typeof SINK_KINDS)[number]['kind'];

/** One sink of the pipeline file (sinks: in connectors/*.yaml), by kind. */
export const sinkSchema = z
  .discriminatedUnion('kind', entries, {
    error: (issue): string =>
      issue.code === 'invalid_union'
        ? `kind must be one of ${SINK_KIND_NAMES.join(', ')}`
        : 'must be a mapping of settings',
  })
  .describe('A sink: writes the change events of its topics to a target, idempotently and never backwards');

export type SinkConfig = z.output<typeof sinkSchema>;

/** The registry's entry of a kind. */
export function sinkKind(kind: SinkKindName): SinkKind {
  const found = ALL_SINK_KINDS.find((k) => k.kind === kind);
  if (!found) {
    throw new CdcError('INVALID_CONFIG', `unknown sink kind '${kind}'`, {
      fix: `use one of ${SINK_KIND_NAMES.join(', ')}`,
    });
  }
  return found;
}

export interface SinkConnections {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** The pipeline file's connection sections a kind's target address falls back to. */
  readonly targets: Readonly<Record<TargetSection, string>>;
}

/**
 * The sink a config describes; a kind's address left out comes from its connection section.
 * `path` is where the pipeline file declares it (`sinks[0]`), so that messages name the setting
 * its address comes from; `rateLimitWaits` is told how long its requests wait for the target's
 * request budget (HTTP kinds).
 */
export function createSink(
  config: SinkConfig,
  connections: SinkConnections,
  path?: string,
  rateLimitWaits?: WaitRecorder,
): Sink {
  const kind = sinkKind(config.kind);
  const own = (config as { url?: string }).url;
  const where = path ?? `sink ${config.name}`;
  const section = kind.defaultTarget;
  return kind.create(config, {
    url: own ?? (section ? connections.targets[section] : undefined),
    urlSetting: own !== undefined || !section ? `${where}.url` : SHARED_SETTINGS[section],
    path: where,
    ...(rateLimitWaits ? { rateLimitWaits } : {}),
  });
}

/** The entry for printing: its secret settings (by their type) and its url's password hidden. */
export function redactSinkConfig(config: SinkConfig): Record<string, unknown> {
  const redacted = redactSecrets(sinkKind(config.kind).entry, config) as Record<string, unknown>;
  return typeof redacted.url === 'string' ? { ...redacted, url: redactUrl(redacted.url) } : redacted;
}

/** healthPort, onHealthServer and signal (stops it also while it still waits to start): ServeOptions. */
export interface RunSinkOptions extends Omit<ServeOptions, 'metrics'> {
  readonly groupId?: string;
  readonly onEvent?: (event: SinkRuntimeEvent) => void;
  /** Where the pipeline file declares the sink (`sinks[0]`), for messages. */
  readonly path?: string;
}

export interface SinkStatus {
  readonly name: string;
  readonly kind: SinkConfig['kind'];
  readonly topics: readonly string[];
  /** starting (waiting for what `waiting` lists), running, stopping, stopped, failed. */
  readonly phase: Phase;
  readonly notReady: string | undefined;
  /** What the sink waits for: its topics, its target, the registry, Kafka; with since when. */
  readonly waiting: readonly Waiting[];
  /** Failed attempts since the start, by error code (docs/error-codes.md). */
  readonly failuresByCode: FailureCounts;
  readonly metrics: SinkMetrics;
}

export interface SinkHandle {
  readonly runtime: SinkRuntime;
  /** Its metrics (stage sink, its kind and name), served on /metrics of its health server. */
  readonly metrics: ServiceMetrics;
  readonly healthPort: number | undefined;
  status(): SinkStatus;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * Runs one sink until stop(); returns once it consumes. Its health server listens from the start,
 * so that /ready says what it waits for meanwhile.
 */
export async function runSink(
  config: SinkConfig,
  connections: SinkConnections,
  options: RunSinkOptions = {},
): Promise<SinkHandle> {
  const metrics = new ServiceMetrics({ stage: 'sink', kind: config.kind, service: config.name });
  const runtime = new SinkRuntime({
    sink: createSink(config, connections, options.path, rateLimitClock(metrics)),
    metrics,
    topics: config.topics,
    brokers: connections.brokers,
    registryUrl: connections.registryUrl,
    ...runtimeSettings(config),
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const status = (): SinkStatus => {
    const metrics = runtime.metrics();
    const { phase, notReady, waiting, failuresByCode } = metrics.readiness;
    return {
      name: config.name,
      kind: config.kind,
      topics: config.topics,
      phase,
      notReady:
        notReady ??
        (metrics.breaker === 'open'
          ? `the target is failing (circuit open): ${metrics.lastError ?? 'unknown error'}`
          : undefined),
      waiting,
      failuresByCode,
      metrics,
    };
  };
  const served = await serveService(runtime, status, { ...options, metrics });
  return { runtime, metrics, status, ...served };
}
