import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceMetrics, registerScrapeTarget } from '@cdc/core';
import { isolate, waitFor } from '@cdc/testkit';

const iso = isolate('observability');
const { ZIPKIN_URL, PROMETHEUS_URL, ALERTMANAGER_URL, CDC_METRICS_TARGETS_DIR } = iso.env;

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe('Zipkin', () => {
  it('takes a span posted to /api/v2/spans and returns it with its trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const span = {
      traceId,
      id: randomBytes(8).toString('hex'),
      name: 'observability test',
      kind: 'SERVER',
      timestamp: Date.now() * 1000,
      duration: 1500,
      localEndpoint: { serviceName: iso.id },
      tags: { 'cdc.test': iso.id },
    };
    const posted = await fetch(`${ZIPKIN_URL}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([span]),
    });
    expect(posted.status).toBe(202);

    // The collector stores asynchronously: poll until the trace is there.
    const trace = await waitFor('the span in Zipkin', async () => {
      const { status, body } = await json<Array<typeof span>>(`${ZIPKIN_URL}/api/v2/trace/${traceId}`);
      return status === 200 && body.length > 0 ? body : undefined;
    });
    expect(trace).toEqual([
      expect.objectContaining({
        traceId,
        id: span.id,
        name: span.name,
        duration: span.duration,
        localEndpoint: { serviceName: iso.id },
        tags: span.tags,
      }),
    ]);
    const services = await json<string[]>(`${ZIPKIN_URL}/api/v2/services`);
    expect(services.body).toContain(iso.id);
  });
});

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Prometheus', () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('scrapes a service registered in CDC_METRICS_TARGETS_DIR and answers queries for its series', async () => {
    const metrics = new ServiceMetrics({ stage: 'sink', kind: 'redis', service: iso.id });
    metrics.get('eventsIn').inc(7);
    server = createServer((request, response) => {
      if (request.url !== '/metrics') return response.writeHead(404).end();
      void metrics
        .text()
        .then((text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const unregister = await registerScrapeTarget(CDC_METRICS_TARGETS_DIR, metrics.identity, port);

    try {
      // Discovery refreshes every 5 s and scrapes every 5 s: poll, up to 30 s.
      const query = encodeURIComponent(`cdc_events_in_total{service="${iso.id}"}`);
      const samples = await waitFor(
        'the series in Prometheus',
        async () => {
          const { body } = await json<{ data: { result: Sample[] } }>(
            `${PROMETHEUS_URL}/api/v1/query?query=${query}`,
          );
          return body.data.result.length > 0 ? body.data.result : undefined;
        },
        30_000,
      );
      expect(samples).toHaveLength(1);
      expect(samples[0]!.metric).toMatchObject({
        __name__: 'cdc_events_in_total',
        job: 'cdc',
        instance: `127.0.0.1:${port}`,
        // The service's own labels, untouched by the target's label.
        stage: 'sink',
        kind: 'redis',
        service: iso.id,
        cdc_target: `sink/${iso.id}`,
      });
      expect(samples[0]!.value[1]).toBe('7');
    } finally {
      await unregister();
    }

    // Once the file is gone, discovery drops the target.
    await waitFor(
      'the target to leave Prometheus',
      async () => {
        const { body } = await json<{ data: { activeTargets: Array<{ labels: Record<string, string> }> } }>(
          `${PROMETHEUS_URL}/api/v1/targets?state=active`,
        );
        return !body.data.activeTargets.some((target) => target.labels.instance === `127.0.0.1:${port}`);
      },
      30_000,
    );
  }, 90_000);

  it('sends alerts to the stack’s Alertmanager', async () => {
    const { body } = await json<{ data: { activeAlertmanagers: Array<{ url: string }> } }>(
      `${PROMETHEUS_URL}/api/v1/alertmanagers`,
    );
    const expected = new URL(ALERTMANAGER_URL);
    expect(body.data.activeAlertmanagers.map((am) => new URL(am.url).host)).toContain(expected.host);
  });
});

describe('Alertmanager', () => {
  it('is ready, and keeps an alert posted to it', async () => {
    const ready = await fetch(`${ALERTMANAGER_URL}/-/ready`);
    expect(ready.status).toBe(200);

    const alert = {
      labels: { alertname: 'ObservabilityTest', test: iso.id },
      annotations: { summary: 'posted by observability-servers.int.test.ts' },
      // Over by itself a minute from now.
      endsAt: new Date(Date.now() + 60_000).toISOString(),
    };
    const posted = await fetch(`${ALERTMANAGER_URL}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([alert]),
    });
    expect(posted.status).toBe(200);
    const alerts = await waitFor('the alert in Alertmanager', async () => {
      const filter = encodeURIComponent(`test="${iso.id}"`);
      const { body } = await json<Array<{ labels: Record<string, string> }>>(
        `${ALERTMANAGER_URL}/api/v2/alerts?filter=${filter}`,
      );
      return body.length > 0 ? body : undefined;
    });
    expect(alerts.map((a) => a.labels)).toEqual([alert.labels]);
  });
});
