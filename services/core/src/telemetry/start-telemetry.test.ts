import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceMetrics } from '../metrics/service-metrics.ts';
import { endRecordSpans, startRecordSpan, tracerRecords } from '../tracing.ts';
import { startTelemetry } from './start-telemetry.ts';
import { sampleChange } from './sampling.ts';

// startTelemetry against local HTTP servers standing in for Zipkin and an OTLP collector: what
// the SDK sends once the standard variables name an exporter, and that nothing is loaded or
// sent when they do not.

const identity = { stage: 'sink', kind: 'redis', service: 'orders' } as const;
const CORE_INDEX = fileURLToPath(new URL('../index.ts', import.meta.url));
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

interface Collector {
  readonly url: string;
  /** The JSON bodies received, in order. */
  readonly bodies: unknown[];
  close(): Promise<void>;
}

async function collector(): Promise<Collector> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      bodies.push(JSON.parse(text));
      response.writeHead(request.url?.includes('/v1/') ? 200 : 202, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: string;
  readonly localEndpoint: { readonly serviceName: string };
}

const OTEL_NAMES = () => Object.keys(process.env).filter((name) => name.startsWith('OTEL_'));
let saved: Record<string, string | undefined> = {};

beforeEach(() => {
  saved = Object.fromEntries(OTEL_NAMES().map((name) => [name, process.env[name]]));
  for (const name of OTEL_NAMES()) delete process.env[name];
});

afterEach(() => {
  for (const name of OTEL_NAMES()) delete process.env[name];
  Object.assign(process.env, saved);
  vi.restoreAllMocks();
});

/** One span as the sink makes it, child of PARENT, then the telemetry shut down (flushed). */
async function sinkSpanThrough(zipkin: Collector): Promise<ZipkinSpan[]> {
  process.env.OTEL_TRACES_EXPORTER = 'zipkin';
  process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = `${zipkin.url}/api/v2/spans`;
  const telemetry = await startTelemetry(identity);
  expect(telemetry.traces).toEqual(['zipkin']);
  const record = startRecordSpan(
    '@cdc/core',
    'cdc.sink orders',
    SpanKind.CONSUMER,
    {},
    { traceparent: PARENT },
  );
  endRecordSpans([record]);
  await telemetry.shutdown();
  return zipkin.bodies.flat() as ZipkinSpan[];
}

/**
 * In a fresh Node, with these OTEL_* variables only: imports @cdc/core, starts and stops the
 * telemetry, and says which SDK and exporter packages were loaded and whether a span recorded.
 */
async function untracedProbe(otel: Record<string, string>) {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        const name = /@opentelemetry\\/((?:sdk|exporter)-[a-z-]+)/.exec(resolved.url)?.[1];
        if (name) loaded.add(name);
        return resolved;
      },
    });
    const { startTelemetry } = await import(${JSON.stringify(CORE_INDEX)});
    const { trace } = await import('@opentelemetry/api');
    const telemetry = await startTelemetry(${JSON.stringify(identity)});
    const recording = trace.getTracer('probe').startSpan('probe').isRecording();
    await telemetry.shutdown();
    console.log(JSON.stringify({ loaded: [...loaded], traces: telemetry.traces, recording }));`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...env, ...otel },
    cwd: fileURLToPath(new URL('../../../../', import.meta.url)),
  });
  return JSON.parse(stdout) as { loaded: string[]; traces: string[]; recording: boolean };
}

describe('startTelemetry', () => {
  it('loads no SDK module and records nothing when no exporter is named', async () => {
    expect(await untracedProbe({})).toEqual({ loaded: [], traces: [], recording: false });
    // The probe sees them when they are loaded.
    const traced = await untracedProbe({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'always_on' });
    expect(traced).toMatchObject({ traces: ['console'], recording: true });
    expect(traced.loaded).toEqual(expect.arrayContaining(['sdk-node', 'sdk-trace']));
  });

  it('exports the spans to Zipkin, continuing the trace in the record, as cdc-<stage>-<service>', async () => {
    const zipkin = await collector();
    try {
      process.env.OTEL_TRACES_SAMPLER = 'always_on';
      const [span, ...others] = await sinkSpanThrough(zipkin);
      expect(others).toEqual([]);
      expect(span).toMatchObject({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        parentId: 'b7ad6b7169203331',
        name: 'cdc.sink orders',
        kind: 'CONSUMER',
        localEndpoint: { serviceName: 'cdc-sink-orders' },
      });
      // Shut down: the API is a no-op again.
      expect(tracerRecords('@cdc/core')).toBe(false);
    } finally {
      await zipkin.close();
    }
  });

  it('lets OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES, name the service', async () => {
    const zipkin = await collector();
    try {
      process.env.OTEL_TRACES_SAMPLER = 'always_on';
      process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=from-attributes,deployment.environment=test';
      expect((await sinkSpanThrough(zipkin))[0]?.localEndpoint.serviceName).toBe('from-attributes');
      zipkin.bodies.length = 0;
      process.env.OTEL_SERVICE_NAME = 'from-service-name';
      expect((await sinkSpanThrough(zipkin))[0]?.localEndpoint.serviceName).toBe('from-service-name');
    } finally {
      await zipkin.close();
    }
  });

  it('samples by parent by default: a sampled record is traced even at ratio 0, a new change is not', async () => {
    const zipkin = await collector();
    try {
      process.env.OTEL_TRACES_SAMPLER_ARG = '0';
      process.env.OTEL_TRACES_EXPORTER = 'zipkin';
      process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = `${zipkin.url}/api/v2/spans`;
      const telemetry = await startTelemetry(identity);
      // The ratio is applied before the SDK (sampling.ts): the source asks sampleChange().
      expect(sampleChange()).toBe(false);
      const unsampledParent = PARENT.replace(/-01$/u, '-00');
      const skipped = startRecordSpan(
        'test',
        'not sampled',
        SpanKind.CONSUMER,
        {},
        { traceparent: unsampledParent },
      );
      expect(skipped.headers).toEqual({ traceparent: unsampledParent });
      endRecordSpans([skipped]);
      endRecordSpans([startRecordSpan('test', 'a child', SpanKind.CONSUMER, {}, { traceparent: PARENT })]);
      await telemetry.shutdown();
      expect(sampleChange()).toBe(true); // the SDK gone, the tracer (a no-op) decides again
      expect((zipkin.bodies.flat() as ZipkinSpan[]).map((s) => s.name)).toEqual(['a child']);
    } finally {
      await zipkin.close();
    }
  });

  it("pushes the service's prom-client metrics over OTLP at shutdown, without traces", async () => {
    const otlp = await collector();
    try {
      process.env.OTEL_METRICS_EXPORTER = 'otlp';
      process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${otlp.url}/v1/metrics`;
      const metrics = new ServiceMetrics(identity);
      metrics.get('eventsOut').inc({ outcome: 'written' }, 4);
      const telemetry = await startTelemetry(identity, { metrics });
      expect(telemetry).toMatchObject({ traces: [], metrics: true });
      expect(tracerRecords('@cdc/core')).toBe(false);
      await telemetry.shutdown();
      const [body] = otlp.bodies as { resourceMetrics: ResourceMetricsJson[] }[];
      const [resourceMetrics] = body?.resourceMetrics ?? [];
      expect(resourceMetrics?.resource.attributes).toContainEqual({
        key: 'service.name',
        value: { stringValue: 'cdc-sink-orders' },
      });
      const sent = resourceMetrics?.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((m) => m.name === 'cdc_events_out_total');
      expect(sent?.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 });
      expect(sent?.sum?.dataPoints[0]).toMatchObject({ asDouble: 4 });
      expect(sent?.sum?.dataPoints[0]?.attributes).toContainEqual({
        key: 'outcome',
        value: { stringValue: 'written' },
      });
    } finally {
      await otlp.close();
    }
  });

  it('reads the metrics through a function at each export, for a service that makes them once started', async () => {
    const otlp = await collector();
    try {
      process.env.OTEL_METRICS_EXPORTER = 'otlp';
      process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${otlp.url}/v1/metrics`;
      const service: { metrics?: ServiceMetrics } = {};
      const telemetry = await startTelemetry(identity, { metrics: () => service.metrics });
      service.metrics = new ServiceMetrics(identity);
      service.metrics.get('retries').inc(2);
      await telemetry.shutdown();
      const names = (otlp.bodies as { resourceMetrics: ResourceMetricsJson[] }[])
        .flatMap((body) => body.resourceMetrics)
        .flatMap((r) => r.scopeMetrics)
        .flatMap((scope) => scope.metrics.map((m) => m.name));
      expect(names).toEqual(['cdc_retries_total']);
    } finally {
      await otlp.close();
    }
  });

  it('neither throws nor prints when the exporters cannot reach their servers', async () => {
    const closed = await collector();
    await closed.close(); // its port refuses connections now
    const printed = [vi.spyOn(console, 'error'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log')];
    process.env.OTEL_TRACES_EXPORTER = 'zipkin,otlp';
    process.env.OTEL_TRACES_SAMPLER = 'always_on';
    process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT = `${closed.url}/api/v2/spans`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = closed.url;
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    const telemetry = await startTelemetry(identity, { metrics: new ServiceMetrics(identity) });
    endRecordSpans([startRecordSpan('test', 'lost', SpanKind.CONSUMER, {}, { traceparent: PARENT })]);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    await expect(telemetry.shutdown()).resolves.toBeUndefined(); // idempotent
    for (const spy of printed) expect(spy).not.toHaveBeenCalled();
  });

  it('starts one SDK per process: a second start does nothing until the first is shut down', async () => {
    process.env.OTEL_TRACES_EXPORTER = 'console';
    const first = await startTelemetry(identity);
    const second = await startTelemetry({ ...identity, service: 'other' });
    expect(first.traces).toEqual(['console']);
    expect(second.traces).toEqual([]);
    await second.shutdown();
    expect(tracerRecords('@cdc/core')).toBe(true);
    await first.shutdown();
    expect(tracerRecords('@cdc/core')).toBe(false);
    const again = await startTelemetry(identity);
    expect(again.traces).toEqual(['console']);
    await again.shutdown();
  });
});

interface ResourceMetricsJson {
  readonly resource: { readonly attributes: unknown[] };
  readonly scopeMetrics: {
    readonly metrics: {
      readonly name: string;
      readonly sum?: {
        readonly isMonotonic: boolean;
        readonly aggregationTemporality: number;
        readonly dataPoints: { readonly asDouble: number; readonly attributes: unknown[] }[];
      };
    }[];
  }[];
}
