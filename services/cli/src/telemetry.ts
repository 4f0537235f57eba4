import { startTelemetry, type ServiceIdentity, type ServiceMetrics } from '@cdc/core';

/**
 * Runs a service command with the OpenTelemetry SDK the OTEL_* variables ask for (none by
 * default: core's telemetry-env.ts). It starts before the service, so that no span is missed, and
 * stops after it, so that the last spans (the source's end when Kafka acknowledges) are flushed.
 * The service makes its metrics once it runs: `metrics` hands them to the OTLP push late.
 */
export async function withTelemetry(
  identity: ServiceIdentity,
  run: (publish: (metrics: ServiceMetrics) => void) => Promise<number>,
): Promise<number> {
  let metrics: ServiceMetrics | undefined;
  const telemetry = await startTelemetry(identity, { metrics: () => metrics });
  if (telemetry.traces.length > 0 || telemetry.metrics) {
    const what = [
      ...(telemetry.traces.length > 0 ? [`traces to ${telemetry.traces.join(', ')}`] : []),
      ...(telemetry.metrics ? ['metrics over OTLP'] : []),
    ];
    console.log(`telemetry: ${what.join('; ')} (OTEL_* variables)`);
  }
  try {
    return await run((served) => {
      metrics = served;
    });
  } finally {
    await telemetry.shutdown();
  }
}
