import { hrTime } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { emptyResource } from '@opentelemetry/resources';
import {
  PeriodicExportingMetricReader,
  type CollectionResult,
  type IMetricReader,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import { promToScopeMetrics } from './prom-bridge.ts';
import type { MetricExportPlan } from './telemetry-env.ts';

// Loaded only when OTEL_METRICS_EXPORTER names otlp (start-telemetry.ts imports it lazily).

/** The service's metrics, or how to get them once the service has made them (undefined: not yet). */
export type MetricsSource = ServiceMetrics | (() => ServiceMetrics | undefined);

/**
 * A MetricProducer reading a service's prom-client registry at each collection: the reader adds
 * its data to the SDK's own (of which there is none: we make no OTel instruments) and exports
 * both under the SDK's resource (the one returned here is ignored, sdk-metrics MetricReader.ts).
 */
export class PromMetricProducer implements MetricProducer {
  readonly #metrics: MetricsSource;
  /** The counters count from the service's start, near enough from here. */
  readonly #startTime = hrTime();

  constructor(metrics: MetricsSource) {
    this.#metrics = metrics;
  }

  async collect(): Promise<CollectionResult> {
    try {
      const metrics = typeof this.#metrics === 'function' ? this.#metrics() : this.#metrics;
      const json = metrics ? await metrics.json() : [];
      const scope = promToScopeMetrics(json, { startTime: this.#startTime, endTime: hrTime() });
      return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [scope] }, errors: [] };
    } catch (error) {
      // A failing beforeScrape callback: the reader reports it (diag) and exports nothing of ours.
      return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [] }, errors: [error] };
    }
  }
}

/**
 * Pushes the service's metrics over OTLP/HTTP (JSON) every interval and once more at shutdown.
 * The exporter reads its endpoint, headers and timeout from OTEL_EXPORTER_OTLP_METRICS_* and
 * OTEL_EXPORTER_OTLP_* itself; the data is always cumulative, as prom-client counts.
 */
export function otlpMetricReader(metrics: MetricsSource, plan: MetricExportPlan): IMetricReader {
  return new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter(),
    exportIntervalMillis: plan.intervalMs,
    exportTimeoutMillis: plan.timeoutMs,
    metricProducers: [new PromMetricProducer(metrics)],
  });
}
