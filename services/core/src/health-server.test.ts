import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHealthServer, serveHealth } from './health-server.ts';
import { ServiceMetrics } from './metrics/service-metrics.ts';

const servers: Awaited<ReturnType<typeof serveHealth>>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await closeHealthServer(server);
});

async function serve(metrics?: ServiceMetrics): Promise<string> {
  const server = await serveHealth(0, async () => ({ notReady: undefined }), metrics);
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('serveHealth /metrics', () => {
  it('serves the Prometheus text of the service, with its labels, and lists /metrics among the paths', async () => {
    const metrics = new ServiceMetrics({ stage: 'sink', kind: 'redis', service: 'cache' });
    metrics.get('eventsIn').inc(3);
    metrics.beforeScrape(() => metrics.get('ready').set(1));
    const base = await serve(metrics);
    const answer = await fetch(`${base}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe(metrics.contentType);
    const text = await answer.text();
    expect(text).toContain('cdc_events_in_total{stage="sink",kind="redis",service="cache"} 3');
    expect(text).toContain('cdc_ready{stage="sink",kind="redis",service="cache"} 1');
    expect(text).toContain('process_cpu_seconds_total');
    const missing = await fetch(`${base}/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'try /health, /ready, /status or /metrics' });
  });

  it('answers 404 with a hint when the service has no metrics', async () => {
    const base = await serve();
    const answer = await fetch(`${base}/metrics`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({
      error: 'this service exports no metrics; try /health, /ready or /status',
    });
    expect(await fetch(`${base}/other`).then((r) => r.json())).toEqual({
      error: 'try /health, /ready or /status',
    });
  });

  it('answers 500 with the reason when reading the metrics fails', async () => {
    const metrics = new ServiceMetrics({ stage: 'source', kind: 'postgres', service: 'pg' });
    metrics.beforeScrape(() => {
      throw new Error('no gauge today');
    });
    const answer = await fetch(`${await serve(metrics)}/metrics`);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({ error: 'no gauge today' });
  });
});
