import { createServer, type Server } from 'node:http';
import { CdcError, errorMessage } from './errors.ts';

/** What a service reports on /status; `notReady` (in words) makes /ready answer 503. */
export interface HealthStatus {
  readonly notReady: string | undefined;
}

/** GET /health, /ready and /status on 127.0.0.1. */
export async function serveHealth(port: number, status: () => Promise<HealthStatus>): Promise<Server> {
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
    if (path !== '/ready' && path !== '/status')
      return reply(404, { error: 'try /health, /ready or /status' });
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
  return server;
}

/** Closes a health server at once, open keep-alive connections included. */
export async function closeHealthServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
