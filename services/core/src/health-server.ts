import { createServer, type Server } from 'node:http';
import { CdcError, errorMessage } from './errors.ts';
import { registerScrapeTarget, scrapeTargetsDir } from './metrics/scrape-targets.ts';
import type { ServiceIdentity, ServiceMetrics } from './metrics/service-metrics.ts';

/** What a service reports on /status; `notReady` (in words) makes /ready answer 503. */
export interface HealthStatus {
  readonly notReady: string | undefined;
}

/** The little of ServiceMetrics that /metrics serves. */
export type MetricsExposition = Pick<ServiceMetrics, 'text' | 'contentType'> & {
  /** Who serves them: with CDC_METRICS_TARGETS_DIR set, the server registers itself for scraping. */
  readonly identity?: ServiceIdentity;
};

/** What removes a health server's scrape target when it closes. */
const scrapeRegistrations = new WeakMap<Server, Promise<() => Promise<void>>>();

/** GET /health, /ready and /status on 127.0.0.1, and /metrics (Prometheus text) when `metrics` is given. */
export async function serveHealth(
  port: number,
  status: () => Promise<HealthStatus>,
  metrics?: MetricsExposition,
): Promise<Server> {
  const paths = metrics ? 'try /health, /ready, /status or /metrics' : 'try /health, /ready or /status';
  const server = createServer((request, response) => {
    const reply = (code: number, body: unknown) => {
      response.writeHead(code, { 'content-type': 'application/json' });
      // undefined fields show as null, so that /status always has the same keys.
      response.end(
        JSON.stringify(body, (_key, value: unknown) =>
          typeof value === 'bigint' ? String(value) : value === undefined ? null : value,
        ),
      );
    };
    if (request.method !== 'GET') return reply(405, { error: 'only GET' });
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health') return reply(200, { ok: true });
    if (path === '/metrics') {
      if (!metrics) return reply(404, { error: `this service exports no metrics; ${paths}` });
      metrics.text().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.contentType });
          response.end(text);
        },
        (error: unknown) => reply(500, { error: errorMessage(error) }),
      );
      return;
    }
    if (path !== '/ready' && path !== '/status') return reply(404, { error: paths });
    status().then(
      (current) => {
        if (path === '/status') return reply(200, current);
        if (current.notReady === undefined) return reply(200, { ready: true });
        reply(503, { ready: false, reason: current.notReady });
      },
      (error: unknown) => reply(500, { error: errorMessage(error) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CdcError(
          'HEALTH_PORT',
          `cannot listen on 127.0.0.1:${port} for health checks: ${error.code ?? error.message}`,
          {
            fix: 'choose another --health-port (0 picks a free one)',
            cause: error,
          },
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.unref();
  registerForScraping(server, metrics?.identity);
  return server;
}

/**
 * Where the environment names a folder of Prometheus file-based discovery (the local stack's
 * `stack env` does: CDC_METRICS_TARGETS_DIR), every service with metrics registers its port
 * there while it serves, so the stack's Prometheus finds it without configuration. A folder that
 * cannot be written costs the scrape, never the service.
 */
function registerForScraping(server: Server, identity: ServiceIdentity | undefined): void {
  const dir = scrapeTargetsDir(process.env);
  const address = server.address();
  if (!dir || !identity || typeof address !== 'object' || !address) return;
  const registered = registerScrapeTarget(dir, identity, address.port).catch(() => () => Promise.resolve());
  scrapeRegistrations.set(server, registered);
}

/** Closes a health server at once, open keep-alive connections included. */
export async function closeHealthServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  const registration = scrapeRegistrations.get(server);
  scrapeRegistrations.delete(server);
  if (registration) await (await registration)().catch(() => undefined);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
