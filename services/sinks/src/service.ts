import { z } from 'zod';
import {
  SHARED_SETTINGS,
  SinkRuntime,
  serveService,
  type ServeOptions,
  type Phase,
  type Sink,
  type SinkMetrics,
  type SinkRuntimeEvent,
  type Waiting,
} from '@cdc/core';
import { createMongoSink, mongoSinkSchema } from './mongo/index.ts';
import { createRedisSink, redisSinkSchema } from './redis/index.ts';

/** Settings of the runtime around any sink: how fast and how patiently it writes. */
const runtimeShape = {
  rate_limit: z
    .strictObject({
      writes_per_second: z
        .number()
        .positive('must be more than 0')
        .describe('At most this many batch writes per second (for targets with quotas)'),
    })
    .optional()
    .describe('Limits the write rate; default: unlimited'),
  retry: z
    .strictObject({
      min_ms: z.int().min(10).max(60_000).default(200).describe('First back-off after a retriable failure'),
      max_ms: z.int().min(100).max(600_000).default(10_000).describe('Longest back-off between attempts'),
    })
    .prefault({})
    .describe('Back-off (exponential with jitter) while the target is unreachable; retried until it answers'),
};

/** One sink of the pipeline file (sinks: in connectors/*.yaml), by kind. */
export const sinkSchema = z
  .discriminatedUnion('kind', [redisSinkSchema.extend(runtimeShape), mongoSinkSchema.extend(runtimeShape)], {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'kind must be redis or mongodb' : 'must be a mapping of settings',
  })
  .describe('A sink: writes the change events of its topics to a target, idempotently and never backwards');

export type SinkConfig = z.output<typeof sinkSchema>;

export interface SinkConnections {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly redisUrl: string;
  readonly mongoUrl: string;
}

/**
 * The sink a config describes; addresses left out come from the connections. `path` is where the
 * pipeline file declares it (`sinks[0]`), so that messages name the setting its address comes from.
 */
export function createSink(config: SinkConfig, connections: SinkConnections, path?: string): Sink {
  const own = path ? `${path}.url` : `the url of sink ${config.name}`;
  switch (config.kind) {
    case 'redis':
      return createRedisSink(
        { ...config, url: config.url ?? connections.redisUrl },
        { setting: config.url ? own : SHARED_SETTINGS.redis },
      );
    case 'mongodb':
      return createMongoSink({ ...config, url: config.url ?? connections.mongoUrl });
  }
}

/** healthPort, onHealthServer and signal (stops it also while it still waits to start): ServeOptions. */
export interface RunSinkOptions extends ServeOptions {
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
  readonly metrics: SinkMetrics;
}

export interface SinkHandle {
  readonly runtime: SinkRuntime;
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
  const runtime = new SinkRuntime({
    sink: createSink(config, connections, options.path),
    topics: config.topics,
    brokers: connections.brokers,
    registryUrl: connections.registryUrl,
    retry: { minMs: config.retry.min_ms, maxMs: config.retry.max_ms },
    ...(config.rate_limit ? { writesPerSecond: config.rate_limit.writes_per_second } : {}),
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const status = (): SinkStatus => {
    const metrics = runtime.metrics();
    const { phase, notReady, waiting } = metrics.readiness;
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
      metrics,
    };
  };
  const served = await serveService(runtime, status, options);
  return { runtime, status, ...served };
}
