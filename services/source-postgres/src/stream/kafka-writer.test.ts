import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CdcError, isTransient } from '@cdc/core';
import { createKafkaWriter } from './kafka-writer.ts';

/** A port on 127.0.0.1 that nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

describe('KafkaWriter', () => {
  it('fails a send to a broker that is away as transient, naming the setting, and closes cleanly', async () => {
    const port = await closedPort();
    const writer = createKafkaWriter({
      brokers: [`127.0.0.1:${port}`],
      retry: { retries: 1, initialRetryTime: 10 },
    });
    const error = await writer.send([{ topic: 't', key: null, value: Buffer.from('v'), headers: {} }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CdcError);
    expect(isTransient(error)).toBe(true);
    expect((error as CdcError).message).toBe(
      `Kafka (source.kafka.brokers, or KAFKA_BROKERS) at 127.0.0.1:${port} is unreachable: connection refused (connecting)`,
    );
    // Nothing stays connected: a later send tries again, and close() has nothing left to wait for.
    await expect(writer.send([{ topic: 't', key: null, value: null, headers: {} }])).rejects.toThrow(
      /unreachable/u,
    );
    await writer.close();
  });
});
