import type { ServiceIdentity } from '../metrics/service-metrics.ts';

// What the standard OTEL_* variables ask of a service, decided before any SDK module is loaded:
// an untraced service must not pay for the SDK, not even its import. Only what we decide
// differently from @opentelemetry/sdk-node 0.301 is read here; the rest (the exporters and their
// endpoints, OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_PROPAGATORS, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_SERVICE_NAME, a named OTEL_TRACES_SAMPLER, OTEL_LOG_LEVEL) the SDK reads itself
// (node_modules/@opentelemetry/sdk-node/dist/utils.mjs, getSpanProcessorsFromEnv).

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The sampler when OTEL_TRACES_SAMPLER is unset: `parentbased_traceidratio`, keeping this ratio of
 * the changes the source starts (OTEL_TRACES_SAMPLER_ARG overrides it); processors and sinks
 * follow the decision carried in each record's `traceparent`. The SDK's own default would record
 * every row. One in a hundred: a sampled row cost about 35 µs of CPU (span, attributes, export
 * to Zipkin), so one in ten took 0.12 to 0.2 of the source's throughput (BENCHMARKS.md, tracing);
 * `cdc trace` follows any one row without a trace.
 */
export const DEFAULT_SAMPLER = { name: 'parentbased_traceidratio', ratio: 0.01 } as const;

/** The spec's defaults of OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT. */
const METRIC_EXPORT_INTERVAL_MS = 60_000;
const METRIC_EXPORT_TIMEOUT_MS = 30_000;

export interface MetricExportPlan {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface TelemetryPlan {
  /** The trace exporters named by OTEL_TRACES_EXPORTER; empty: no traces. */
  readonly traces: readonly string[];
  /** The default sampler's ratio; undefined when OTEL_TRACES_SAMPLER names one (the SDK reads it). */
  readonly samplerRatio: number | undefined;
  /** When OTEL_METRICS_EXPORTER names otlp: how often the service's metrics are pushed. */
  readonly metrics: MetricExportPlan | undefined;
  /** service.name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES gives one. */
  readonly serviceName: string;
}

/** `cdc-<stage>-<service>`: the resource's service.name unless the environment gives one. */
export function defaultServiceName(identity: ServiceIdentity): string {
  return `cdc-${identity.stage}-${identity.service}`;
}

/** A comma-separated list, as the SDK splits it (trimmed, empty entries dropped). */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function positive(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(number) && number > 0
    ? number
    : undefined;
}

function ratioOf(value: string | undefined): number {
  const ratio = Number(value);
  return value !== undefined && value.trim() !== '' && ratio >= 0 && ratio <= 1
    ? ratio
    : DEFAULT_SAMPLER.ratio;
}

/**
 * What to start, or undefined for nothing at all. Off by default: unlike the SDK, which exports
 * over OTLP when OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER is unset, a service exports only
 * what these variables name, and `none` anywhere in a list turns that signal off.
 */
export function telemetryPlan(identity: ServiceIdentity, env: Env = process.env): TelemetryPlan | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const tracesNamed = listOf(env.OTEL_TRACES_EXPORTER);
  const traces = tracesNamed.includes('none') ? [] : tracesNamed;
  const metricsNamed = listOf(env.OTEL_METRICS_EXPORTER);
  const metrics =
    metricsNamed.includes('otlp') && !metricsNamed.includes('none') ? metricPlan(env) : undefined;
  if (traces.length === 0 && metrics === undefined) return undefined;
  return {
    traces,
    samplerRatio: env.OTEL_TRACES_SAMPLER?.trim() ? undefined : ratioOf(env.OTEL_TRACES_SAMPLER_ARG),
    metrics,
    serviceName: defaultServiceName(identity),
  };
}

/** The timeout is kept within the interval, as the SDK does (its reader refuses a longer one). */
function metricPlan(env: Env): MetricExportPlan {
  const intervalMs = positive(env.OTEL_METRIC_EXPORT_INTERVAL) ?? METRIC_EXPORT_INTERVAL_MS;
  const timeoutMs = Math.min(
    positive(env.OTEL_METRIC_EXPORT_TIMEOUT) ?? METRIC_EXPORT_TIMEOUT_MS,
    intervalMs,
  );
  return { intervalMs, timeoutMs };
}
