import { context, diag, metrics as metricsApi, propagation, trace } from '@opentelemetry/api';
import type { ServiceIdentity, ServiceMetrics } from '../metrics/service-metrics.ts';
import { errorMessage } from '../errors.ts';
import { decideSamplingBeforeSdk } from './sampling.ts';
import { telemetryPlan, type TelemetryPlan } from './telemetry-env.ts';

// The OpenTelemetry SDK of a service process, configured by the standard OTEL_* variables only
// (telemetry-env.ts says which we read and which the SDK reads). Nothing here imports an SDK
// package at load time: they are imported when the variables ask for an export.

export interface TelemetryOptions {
  /**
   * The service's metrics, pushed over OTLP when OTEL_METRICS_EXPORTER names otlp; or a function
   * giving them at each export, for a service that makes its ServiceMetrics once started
   * (SinkRuntime.serviceMetrics): telemetry starts first, so that no span is missed.
   */
  readonly metrics?: ServiceMetrics | (() => ServiceMetrics | undefined);
  /** How long shutdown() waits for the last exports (default 5 s); then it gives up on them. */
  readonly shutdownTimeoutMs?: number;
}

export interface Telemetry {
  /** The trace exporters started (OTEL_TRACES_EXPORTER); empty: spans go nowhere. */
  readonly traces: readonly string[];
  /** Whether the service's metrics are pushed over OTLP. */
  readonly metrics: boolean;
  /** Flushes what is buffered (bounded by shutdownTimeoutMs) and stops; never rejects; idempotent. */
  shutdown(): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 5_000;
const SPAN_QUEUE_SIZE = 8_192;

const OFF: Telemetry = { traces: [], metrics: false, shutdown: () => Promise.resolve() };

/** The SDK is process-global: one per process, the first call's. */
let running = false;

/**
 * Starts the OpenTelemetry SDK for a service when OTEL_TRACES_EXPORTER (otlp, zipkin, console)
 * or OTEL_METRICS_EXPORTER (otlp) asks for it; otherwise does nothing and loads nothing. No
 * auto-instrumentation: the spans are our own (source, processor, sink, one trace per row).
 * Exporters' failures never throw: they go to OTel's diag logger, silent unless OTEL_LOG_LEVEL
 * is set. A second call in the same process returns a handle that does nothing.
 */
export async function startTelemetry(
  identity: ServiceIdentity,
  options: TelemetryOptions = {},
): Promise<Telemetry> {
  const plan = telemetryPlan(identity);
  // Metrics asked for but none given, and no traces: nothing to export.
  if (!plan || running || (plan.traces.length === 0 && !options.metrics)) return OFF;
  running = true;
  try {
    return await start(plan, options);
  } catch (error) {
    // An exporter the variables cannot make (a malformed endpoint): the service runs untraced.
    diag.error(`OpenTelemetry SDK not started: ${errorMessage(error)}`);
    running = false;
    return OFF;
  }
}

async function start(plan: TelemetryPlan, options: TelemetryOptions): Promise<Telemetry> {
  const [{ NodeSDK }, { defaultResource, envDetector, hostDetector, resourceFromAttributes }] =
    await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/resources')]);
  // The batch processor's queue, unless OTEL_BSP_MAX_QUEUE_SIZE says otherwise: the SDK's 2,048
  // dropped a quarter of the spans of a source sampling one row in ten under the benchmark's load.
  process.env.OTEL_BSP_MAX_QUEUE_SIZE ??= String(SPAN_QUEUE_SIZE);
  // Under the default sampler the ratio is applied before the SDK (sampling.ts), so the SDK
  // records every root it is handed and follows the parent otherwise.
  const sampler = plan.samplerRatio === undefined ? undefined : await parentBasedAlwaysOn();
  const metricReaders =
    plan.metrics && options.metrics
      ? [(await import('./metric-producer.ts')).otlpMetricReader(options.metrics, plan.metrics)]
      : [];
  const sdk = new NodeSDK({
    // Our name is the lowest layer: OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (read by the
    // SDK's env detector, merged over this) win.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': plan.serviceName })),
    instrumentations: [],
    // The environment's attributes and the host, unless OTEL_NODE_RESOURCE_DETECTORS names others:
    // the SDK's default adds the process's (its command line among them) and the OS's, 19
    // attributes that were 60% of every exported span.
    ...(process.env.OTEL_NODE_RESOURCE_DETECTORS ? {} : { resourceDetectors: [envDetector, hostDetector] }),
    // Empty lists, not left out: the SDK would then default to OTLP exporters of its own.
    metricReaders,
    logRecordProcessors: [],
    ...(plan.traces.length === 0 ? { spanProcessors: [] } : {}),
    ...(sampler ? { sampler } : {}),
  });
  sdk.start();
  decideSamplingBeforeSdk(plan.samplerRatio);
  const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  let stopped: Promise<void> | undefined;
  return {
    traces: plan.traces,
    metrics: metricReaders.length > 0,
    shutdown: () => (stopped ??= stop(() => sdk.shutdown(), timeoutMs)),
  };
}

async function parentBasedAlwaysOn() {
  const { AlwaysOnSampler, ParentBasedSampler } = await import('@opentelemetry/sdk-trace');
  return new ParentBasedSampler({ root: new AlwaysOnSampler() });
}

/**
 * Flushes and stops the SDK, then unregisters its globals: the API is a no-op again, so that the
 * services' per-batch probe (tracing.ts, tracerRecords) stops making spans, and a later
 * startTelemetry (tests) can register anew.
 */
async function stop(shutdown: () => Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      diag.warn(`OpenTelemetry SDK shutdown still exporting after ${timeoutMs} ms; giving up`);
      resolve();
    }, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([shutdown(), timedOut]);
  } catch (error) {
    diag.error(`OpenTelemetry SDK shutdown failed: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
    decideSamplingBeforeSdk(undefined);
    trace.disable();
    metricsApi.disable();
    propagation.disable();
    context.disable();
    running = false;
  }
}
