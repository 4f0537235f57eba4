import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { RegistryCodec, closeHealthServer, serveHealth } from '@cdc/core';
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

export interface RunProcessorOptions {
  /** Port of the health server on 127.0.0.1; 0 picks a free one; undefined: none. */
  readonly healthPort?: number;
  readonly onEvent?: (event: ProcessorEvent) => void;
  /** Consumer group; default the processor's name. Tests and benchmarks set their own. */
  readonly groupId?: string;
  /**
   * Stops the processor when aborted, also while it is still starting: waiting for its input topic
   * can last as long as the source takes to create it.
   */
  readonly signal?: AbortSignal;
  /** Called once the health server listens, before the processor waits for its input. */
  readonly onHealthServer?: (port: number) => void;
}

export interface ProcessorStatus {
  readonly name: string;
  readonly kind: ProcessorSpec['kind'];
  readonly input: string;
  readonly output: string;
  readonly delivery: DeliveryMode;
  readonly notReady: string | undefined;
  readonly counters: ProcessorCounters;
  readonly lastError: string | undefined;
}

export interface ProcessorHandle {
  readonly runtime: ProcessorRuntime;
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

/** Runs one processor until stop(); returns once it consumes (and its health server listens). */
export async function runProcessor(
  spec: ProcessorSpec,
  connections: ProcessorConnections,
  options: RunProcessorOptions = {},
): Promise<ProcessorHandle> {
  let redis: Redis | undefined;
  const codec = new RegistryCodec(connections.registryUrl);
  const handler = handlerOf(spec, codec, () => {
    // Commands queue while Redis is away; the batch waits and is retried rather than failing records.
    if (!redis) {
      redis = new Redis(connections.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
      // ioredis reconnects by itself; without a listener it would print every failed attempt.
      redis.on('error', () => undefined);
    }
    return redis;
  });
  const runtime = new ProcessorRuntime({
    name: spec.name,
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
    notReady: runtime.status.notReady,
    counters: { ...runtime.counters },
    lastError: runtime.status.lastError,
  });
  let health: Server | undefined;
  if (options.healthPort !== undefined) health = await serveHealth(options.healthPort, async () => status());
  const address = health?.address();
  const healthPort = typeof address === 'object' && address ? address.port : undefined;
  if (healthPort !== undefined) options.onHealthServer?.(healthPort);
  const stopOnAbort = () => void runtime.stop();
  if (options.signal?.aborted) stopOnAbort();
  options.signal?.addEventListener('abort', stopOnAbort, { once: true });
  const close = async () => {
    options.signal?.removeEventListener('abort', stopOnAbort);
    await closeHealthServer(health);
    redis?.disconnect();
  };
  try {
    await runtime.start();
  } catch (error) {
    await runtime.stop().catch(() => undefined);
    await close();
    throw error;
  }
  const done = runtime.done.finally(close);
  done.catch(() => undefined);
  return {
    runtime,
    healthPort,
    status,
    stop: async () => {
      await runtime.stop();
      await done;
    },
    done,
  };
}
