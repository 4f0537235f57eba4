import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLER, defaultServiceName, telemetryPlan } from './telemetry-env.ts';

const identity = { stage: 'sink', kind: 'redis', service: 'orders' } as const;

describe('telemetryPlan', () => {
  it('starts nothing unless an exporter is named', () => {
    expect(telemetryPlan(identity, {})).toBeUndefined();
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: ' ' })).toBeUndefined();
    expect(telemetryPlan(identity, { OTEL_METRICS_EXPORTER: 'none' })).toBeUndefined();
    // Only OTLP metrics are pushed: Prometheus scrapes /metrics already.
    expect(telemetryPlan(identity, { OTEL_METRICS_EXPORTER: 'prometheus' })).toBeUndefined();
    // Sampler settings alone export nothing.
    expect(telemetryPlan(identity, { OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
  });

  it('starts nothing when the SDK is disabled, whatever else is set', () => {
    const env = { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp' };
    expect(telemetryPlan(identity, env)).toBeUndefined();
    expect(telemetryPlan(identity, { ...env, OTEL_SDK_DISABLED: 'false' })?.traces).toEqual(['otlp']);
  });

  it('lists the trace exporters as the SDK splits them; none anywhere turns traces off', () => {
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: 'zipkin' })?.traces).toEqual(['zipkin']);
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: ' otlp, console ,' })?.traces).toEqual([
      'otlp',
      'console',
    ]);
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: 'zipkin,none' })).toBeUndefined();
    const metricsOnly = telemetryPlan(identity, {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'otlp',
    });
    expect(metricsOnly?.traces).toEqual([]);
    expect(metricsOnly?.metrics).toBeDefined();
  });

  it('samples parentbased_traceidratio at the default ratio, or OTEL_TRACES_SAMPLER_ARG, unless a sampler is named', () => {
    expect(DEFAULT_SAMPLER).toEqual({ name: 'parentbased_traceidratio', ratio: 0.01 });
    const env = { OTEL_TRACES_EXPORTER: 'otlp' };
    expect(telemetryPlan(identity, env)?.samplerRatio).toBe(0.01);
    expect(telemetryPlan(identity, { ...env, OTEL_TRACES_SAMPLER_ARG: '0.25' })?.samplerRatio).toBe(0.25);
    expect(telemetryPlan(identity, { ...env, OTEL_TRACES_SAMPLER_ARG: '0' })?.samplerRatio).toBe(0);
    for (const invalid of ['', 'half', '1.5', '-1']) {
      expect(telemetryPlan(identity, { ...env, OTEL_TRACES_SAMPLER_ARG: invalid })?.samplerRatio).toBe(0.01);
    }
    // A named sampler is the SDK's to read, with its own default ratio (1).
    expect(
      telemetryPlan(identity, { ...env, OTEL_TRACES_SAMPLER: 'always_on' })?.samplerRatio,
    ).toBeUndefined();
    expect(
      telemetryPlan(identity, { ...env, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' })
        ?.samplerRatio,
    ).toBeUndefined();
  });

  it('pushes metrics when OTEL_METRICS_EXPORTER names otlp, every OTEL_METRIC_EXPORT_INTERVAL', () => {
    expect(telemetryPlan(identity, { OTEL_METRICS_EXPORTER: 'prometheus,otlp' })?.metrics).toEqual({
      intervalMs: 60_000,
      timeoutMs: 30_000,
    });
    const env = { OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '10000' };
    expect(telemetryPlan(identity, env)?.metrics).toEqual({ intervalMs: 10_000, timeoutMs: 10_000 });
    expect(telemetryPlan(identity, { ...env, OTEL_METRIC_EXPORT_TIMEOUT: '2000' })?.metrics).toEqual({
      intervalMs: 10_000,
      timeoutMs: 2_000,
    });
    expect(telemetryPlan(identity, { ...env, OTEL_METRIC_EXPORT_INTERVAL: '0' })?.metrics?.intervalMs).toBe(
      60_000,
    );
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: 'otlp' })?.metrics).toBeUndefined();
    expect(
      telemetryPlan(identity, { OTEL_METRICS_EXPORTER: 'otlp,none', OTEL_TRACES_EXPORTER: 'otlp' })?.metrics,
    ).toBe(undefined);
  });

  it('names the service cdc-<stage>-<service> by default', () => {
    expect(defaultServiceName(identity)).toBe('cdc-sink-orders');
    expect(telemetryPlan(identity, { OTEL_TRACES_EXPORTER: 'console' })?.serviceName).toBe('cdc-sink-orders');
  });
});
