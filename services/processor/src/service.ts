import { Redis } from 'ioredis';
import {
  CdcError,
  RegistryCodec,
  SHARED_SETTINGS,
  ServiceMetrics,
  describeEndpoint,
  networkProblem,
  serveService,
  type ServeOptions,
  type ErrorCode,
  type FailureCounts,
  type Phase,
  type Waiting,
} from '@cdc/core';
import type { RuleConfig } from './rules/rule-config.ts';
import type { EventHandler } from './runtime/handler.ts';
import {
  ProcessorRuntime,
  type DeliveryMode,
  type ProcessorCounters,
  type ProcessorEvent,
} from './runtime/processor.ts';

import { TransformerHandler } from './runtime/transformer-handler.ts';
import { ValidatorHandler } from './runtime/validator-handler.ts';
import type { StepConfig } from './transform/step-config.ts';
import { compileSteps } from './transform/steps.ts';

interface ProcessorCommon {
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly delivery: DeliveryMode;
}

/** One processor as the pipeline file declares it (processors: in connectors/*.yaml). */
export type ProcessorSpec =
  | (ProcessorCommon & { readonly kind: 'validate'; readonly rules: readonly RuleConfig[] })
  | (ProcessorCommon & { readonly kind: 'transform'; readonly steps: readonly StepConfig[] });

export interface ProcessorConnections {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly redisUrl: string;
}

/** healthPort, onHealthServer and signal (stops it also while it still waits for its input): ServeOptions. */
export interface RunProcessorOptions extends Omit<ServeOptions, 'metrics'> {
  readonly onEvent?: (event: ProcessorEvent) => void;
  /** Consumer group; default the processor's name. Tests and benchmarks set their own. */
  readonly groupId?: string;
}

export interface ProcessorStatus {
  readonly name: string;
  readonly kind: ProcessorSpec['kind'];
  readonly input: string;
  readonly output: string;
  readonly delivery: DeliveryMode;
  /** starting (waiting for what `waiting` lists), running, stopping, stopped, failed. */
  readonly phase: Phase;
  readonly notReady: string | undefined;
  /** What it waits for: its input topic, Kafka, the registry, Redis; with since when and the error code. */
  readonly waiting: readonly Waiting[];
  /** Failed attempts since the start, by error code (docs/error-codes.md). */
  readonly failuresByCode: FailureCounts;
  readonly counters: ProcessorCounters;
  readonly lastError: string | undefined;
}

export interface ProcessorHandle {
  readonly runtime: ProcessorRuntime;
  /** Its metrics (stage processor, kind validator or transformer), served on /metrics of its health server. */
  readonly metrics: ServiceMetrics;
  readonly healthPort: number | undefined;
  status(): ProcessorStatus;
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/** The handler of a spec: its rules or steps compiled once. */
function handlerOf(spec: ProcessorSpec, codec: RegistryCodec, redis: () => Redis): EventHandler {
  if (spec.kind === 'validate') return new ValidatorHandler(codec, spec.rules, spec.output);
  const enriches = spec.steps.some((step) => 'enrich' in step);
  const steps = compileSteps(spec.steps, { redis: enriches ? redis() : undefined });
  return new TransformerHandler(codec, steps, spec.output);
}

/**
 * The Redis client of enrichment lookups. A lookup gives up within seconds while Redis is away
 * (rather than queueing for ever), and the runtime waits and retries the batch, saying so in the
 * pipeline file's words: ioredis reports why it cannot connect only as an event.
 */
function enrichmentRedis(url: string): { client: Redis; explain: (error: unknown) => unknown } {
  const client = new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 2_000,
    commandTimeout: 8_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let connectionError: unknown;
  client.on('error', (error: unknown) => (connectionError = error));
  client.on('ready', () => (connectionError = undefined));
  const name = describeEndpoint('Redis', url, SHARED_SETTINGS.redis);
  return {
    client,
    explain: (error) => {
      if ((error as { code?: ErrorCode } | null)?.code !== 'ENRICH_LOOKUP') return error;
      const network = networkProblem(connectionError) ?? networkProblem(error);
      if (!network) return error;
      return new CdcError('REDIS_UNAVAILABLE', `${name} is unreachable: ${network}`, {
        retriable: true,
        fix: 'start Redis or correct redis.url (env REDIS_URL); enrichment lookups are retried',
        cause: error,
      });
    },
  };
}

/** Runs one processor until stop(); returns once it consumes (and its health server listens). */
export async function runProcessor(
  spec: ProcessorSpec,
  connections: ProcessorConnections,
  options: RunProcessorOptions = {},
): Promise<ProcessorHandle> {
  let redis: ReturnType<typeof enrichmentRedis> | undefined;
  const codec = new RegistryCodec(connections.registryUrl);
  const compiled = handlerOf(spec, codec, () => (redis ??= enrichmentRedis(connections.redisUrl)).client);
  const handler: EventHandler = {
    handleBatch: (events) =>
      compiled.handleBatch(events).catch((error: unknown) => {
        throw redis ? redis.explain(error) : error;
      }),
  };
  const metrics = new ServiceMetrics({
    stage: 'processor',
    kind: spec.kind === 'validate' ? 'validator' : 'transformer',
    service: spec.name,
  });
  const runtime = new ProcessorRuntime({
    name: spec.name,
    metrics,
    input: spec.input,
    output: spec.output,
    delivery: spec.delivery,
    brokers: connections.brokers,
    handler,
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const status = (): ProcessorStatus => ({
    name: spec.name,
    kind: spec.kind,
    input: spec.input,
    output: spec.output,
    delivery: spec.delivery,
    phase: runtime.status.phase,
    notReady: runtime.status.notReady,
    waiting: runtime.status.waiting,
    failuresByCode: runtime.status.failuresByCode,
    counters: { ...runtime.counters },
    lastError: runtime.status.lastError,
  });
  const served = await serveService(runtime, status, { ...options, metrics }, () =>
    redis?.client.disconnect(),
  );
  return { runtime, metrics, status, ...served };
}
