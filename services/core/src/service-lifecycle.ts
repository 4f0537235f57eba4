import { closeHealthServer, serveHealth, type HealthStatus } from './health-server.ts';
import { mirrorReadiness } from './metrics/mirrors.ts';
import type { ServiceMetrics } from './metrics/service-metrics.ts';

/** What a long-running service (a processor, a sink) offers the code that runs it. */
export interface ServiceRuntime {
  /** Resolves once it serves; may wait long for its topics, target or Kafka. */
  start(): Promise<void>;
  /** Idempotent; ends `done`. */
  stop(): Promise<void>;
  /** Settles when it has stopped: resolves after stop(), rejects with what ended it. */
  readonly done: Promise<void>;
}

export interface ServeOptions {
  /** Port of the health server on 127.0.0.1; 0 picks a free one; undefined: none. */
  readonly healthPort?: number;
  /** Called once the health server listens, before the service starts (which may wait long). */
  readonly onHealthServer?: (port: number) => void;
  /** Stops the service when aborted, also while it is still starting. */
  readonly signal?: AbortSignal;
  /**
   * The service's metrics: served on /metrics, and their cdc_ready follows /ready. The services
   * make their own (runSink, runProcessor), so their options leave this out.
   */
  readonly metrics?: ServiceMetrics;
}

export interface ServedService {
  readonly healthPort: number | undefined;
  /** Stops the service and waits until it and its health server are closed. */
  stop(): Promise<void>;
  /** Settles once the service and its health server are closed (rejects as the runtime's did). */
  readonly done: Promise<void>;
}

/**
 * Runs a service with its health server (/health, /ready, /status from `status`, /metrics): the server
 * listens first, so that a service still waiting to start already says why it is not ready; an
 * aborted `signal` stops it at any time; `close` (and the server) go once the service has
 * stopped, also when it failed to start. Resolves once the service serves.
 */
export async function serveService(
  runtime: ServiceRuntime,
  status: () => HealthStatus,
  options: ServeOptions,
  close: () => Promise<void> | void = () => undefined,
): Promise<ServedService> {
  const { metrics } = options;
  if (metrics) mirrorReadiness(metrics, () => status().notReady);
  const health =
    options.healthPort === undefined
      ? undefined
      : await serveHealth(options.healthPort, async () => status(), metrics);
  const address = health?.address();
  const healthPort = typeof address === 'object' && address ? address.port : undefined;
  if (healthPort !== undefined) options.onHealthServer?.(healthPort);
  const stopOnAbort = () => void runtime.stop().catch(() => undefined);
  if (options.signal?.aborted) stopOnAbort();
  options.signal?.addEventListener('abort', stopOnAbort, { once: true });
  const closeAll = async () => {
    options.signal?.removeEventListener('abort', stopOnAbort);
    await closeHealthServer(health);
    await close();
  };
  try {
    await runtime.start();
  } catch (error) {
    await runtime.stop().catch(() => undefined);
    await closeAll();
    throw error;
  }
  const done = runtime.done.finally(closeAll);
  done.catch(() => undefined);
  return {
    healthPort,
    done,
    stop: async () => {
      await runtime.stop();
      await done;
    },
  };
}
