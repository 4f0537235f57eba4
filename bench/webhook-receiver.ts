import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it: enough to send the same again. */
export interface RecordedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The local receiver of the webhook benchmark (bench/sinks.ts, phase d): reads each request in
 * full and answers 204, as a receiver that queues the work would. It records the requests of the
 * sink's run, so that the plain client posts exactly those (bench/webhook-raw-worker.ts).
 */
export class BenchReceiver {
  readonly recorded: RecordedRequest[] = [];
  recording = true;
  requests = 0;
  #server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests += 1;
        // The same work for both runs; only the sink's requests are kept.
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
          const value = request.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.recording) this.recorded.push({ headers, body });
        response.writeHead(204).end();
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bench`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
