import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { CloudEvent } from './cloud-event.ts';

/**
 * A webhook receiver for the tests, as a careful one is written: it verifies each request's
 * signature with the `standardwebhooks` library, drops ids it has seen, and applies a change only
 * when its version is newer than the one it holds for the record (a delete leaves the version).
 * `answer` lets a test refuse or fail requests; every request is recorded, answered or not.
 */
export interface ReceivedRequest {
  /** performance.now() when the request had arrived in full. */
  readonly at: number;
  readonly id: string;
  readonly contentType: string;
  readonly events: readonly CloudEvent[];
  readonly verified: boolean;
  readonly status: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

interface Held {
  readonly version: readonly [bigint, bigint];
  /** Null once deleted. */
  readonly row: Record<string, unknown> | null;
}

export class TestReceiver {
  readonly secret = `whsec_${randomBytes(24).toString('base64')}`;
  readonly requests: ReceivedRequest[] = [];
  /** Per record (`<schema>.<table>/<key JSON>`, the CloudEvent's subject): what it holds. */
  readonly records = new Map<string, Held>();
  /** Decides the answer to a verified request; default 204. */
  answer: (request: Omit<ReceivedRequest, 'status'>) => Answer | undefined = () => undefined;
  readonly #seen = new Set<string>();
  readonly #webhook = new Webhook(this.secret);
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks/cdc`;
  }

  /** Listens (again, on the same port once it had one). */
  async start(): Promise<void> {
    const server = createServer((request, response) => void this.#handle(request, response));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops open connections: the sink sees connection refused. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Ids whose changes were applied (each once). */
  get applied(): ReadonlySet<string> {
    return this.#seen;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    );
    let verified = true;
    try {
      this.#webhook.verify(body, headers);
    } catch {
      verified = false;
    }
    const parsed = JSON.parse(body) as CloudEvent | CloudEvent[];
    const seen: Omit<ReceivedRequest, 'status'> = {
      at: performance.now(),
      id: headers['webhook-id'] ?? '',
      contentType: headers['content-type'] ?? '',
      events: Array.isArray(parsed) ? parsed : [parsed],
      verified,
    };
    const answer = verified ? (this.answer(seen) ?? { status: 204 }) : { status: 401, body: 'bad signature' };
    this.requests.push({ ...seen, status: answer.status });
    if (answer.status < 300) for (const event of seen.events) this.#apply(event);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  #apply(event: CloudEvent): void {
    if (this.#seen.has(event.id)) return;
    this.#seen.add(event.id);
    const { data } = event;
    const version = [BigInt(data.version.commit_lsn), BigInt(data.version.seq)] as const;
    if (data.op === 't') {
      for (const subject of this.records.keys())
        if (subject.startsWith(`${event.subject}/`)) this.records.set(subject, { version, row: null });
      return;
    }
    const held = this.records.get(event.subject);
    if (
      held &&
      (held.version[0] > version[0] || (held.version[0] === version[0] && held.version[1] >= version[1]))
    )
      return;
    if (data.op === 'd' || data.after === null) {
      this.records.set(event.subject, { version, row: null });
      return;
    }
    const row: Record<string, unknown> = { ...data.after };
    for (const field of data.unchanged_fields) row[field] = held?.row?.[field] ?? null;
    this.records.set(event.subject, { version, row });
  }
}
