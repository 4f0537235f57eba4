import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** A started emulator: `url` has no trailing slash, e.g. http://127.0.0.1:58091. */
export interface RunningEmulator {
  readonly url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export async function listen(app: FastifyInstance, options: ListenOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    // Idempotent: a test's afterAll and a signal handler may both close it.
    close: () => (closing ??= app.close()),
  };
}
