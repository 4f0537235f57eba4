import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it: enough to send the same again. */
export interface RecordedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The local receiver of the webhook benchmark (bench/sinks.ts, phase d): reads each request in
 * full and answers 204, as a receiver that queues the work would. It records the requests it
 * gets, so that the plain client posts exactly those of the sink's run (bench/webhook-raw-worker.ts).
 */
export class BenchReceiver {
  /** What it received since the last take(). */
  #recorded: RecordedRequest[] = [];
  requests = 0;
  #server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests += 1;
        // Recorded in both runs, so that the receiver does the same work for the sink and the
        // plain client (it shares the machine's two cores with them).
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
          const value = request.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        this.#recorded.push({ headers, body });
        response.writeHead(204).end();
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bench`;
  }

  /** The requests received since the last call, forgotten here. */
  take(): RecordedRequest[] {
    const recorded = this.#recorded;
    this.#recorded = [];
    return recorded;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
