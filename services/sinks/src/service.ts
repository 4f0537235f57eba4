import type { Server } from 'node:http';
import { z } from 'zod';
import {
  SinkRuntime,
  closeHealthServer,
  serveHealth,
  type Sink,
  type SinkMetrics,
  type SinkRuntimeEvent,
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

/** The sink a config describes; addresses left out come from the connections. */
export function createSink(config: SinkConfig, connections: SinkConnections): Sink {
  switch (config.kind) {
    case 'redis':
      return createRedisSink({ ...config, url: config.url ?? connections.redisUrl });
    case 'mongodb':
      return createMongoSink({ ...config, url: config.url ?? connections.mongoUrl });
  }
}

export interface RunSinkOptions {
  readonly healthPort?: number;
  readonly groupId?: string;
  readonly onEvent?: (event: SinkRuntimeEvent) => void;
}

export interface SinkStatus {
  readonly name: string;
  readonly kind: SinkConfig['kind'];
  readonly topics: readonly string[];
  readonly notReady: string | undefined;
  readonly metrics: SinkMetrics;
}

export interface SinkHandle {
  readonly runtime: SinkRuntime;
  readonly healthPort: number | undefined;
  status(): SinkStatus;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/** Runs one sink until stop(); returns once it consumes (and its health server listens). */
export async function runSink(
  config: SinkConfig,
  connections: SinkConnections,
  options: RunSinkOptions = {},
): Promise<SinkHandle> {
  const runtime = new SinkRuntime({
    sink: createSink(config, connections),
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
    return {
      name: config.name,
      kind: config.kind,
      topics: config.topics,
      notReady: runtime.ready
        ? metrics.breaker === 'open'
          ? `the target is failing (circuit open): ${metrics.lastError ?? 'unknown error'}`
          : undefined
        : 'not consuming',
      metrics,
    };
  };
  let health: Server | undefined;
  if (options.healthPort !== undefined) health = await serveHealth(options.healthPort, async () => status());
  try {
    await runtime.start();
  } catch (error) {
    await runtime.stop().catch(() => undefined);
    await closeHealthServer(health);
    throw error;
  }
  const done = runtime.done.finally(() => closeHealthServer(health));
  done.catch(() => undefined);
  const address = health?.address();
  return {
    runtime,
    healthPort: typeof address === 'object' && address ? address.port : undefined,
    status,
    stop: async () => {
      await runtime.stop();
      await done;
    },
    done,
  };
}
