import { LogicalReplicationService } from 'pg-logical-replication';
import { CdcError } from '@cdc/core';
import type { SourceConfig } from '../config.ts';
import type { PgoutputMessage } from '../pgoutput/messages.ts';
import { RawPgoutputPlugin } from '../pgoutput/plugin.ts';
import { REPLICATION_SESSION_SETTINGS } from '../types/column-kind.ts';

/** `-c name=value` options: the session settings that make the text of every value canonical. */
export function replicationSessionOptions(): string {
  return Object.entries(REPLICATION_SESSION_SETTINGS)
    .map(([name, value]) => `-c ${name}=${value.replaceAll(' ', '\\ ')}`)
    .join(' ');
}

/** What the replication connection tells the stream. */
export interface ReplicationHandlers {
  /** A decoded message; a returned promise holds the next one back (flow control). */
  data(lsn: string, message: PgoutputMessage): Promise<void> | undefined;
  /** A primary keepalive; `reply` when PostgreSQL asks for our position now. */
  keepalive(lsn: string, reply: boolean): void;
  /** Called as each message is parsed off the socket, before it waits its turn for data(). */
  received(): void;
  /** The connection failed (or ended): the stream is over. */
  fail(error: unknown): void;
}

/**
 * The replication connection, not started yet: its owner can destroy() it at any moment, also
 * while startReplication waits. Automatic acknowledgement and its timer would confirm positions
 * Kafka does not have yet (the timer acknowledges the last received LSN even with auto off:
 * https://github.com/kibae/pg-logical-replication/issues/174), so both are off; flow control
 * awaits the handler message by message.
 */
export function createReplication(
  config: SourceConfig,
  handlers: ReplicationHandlers,
): LogicalReplicationService {
  const service = new LogicalReplicationService(
    { connectionString: config.database.url, options: replicationSessionOptions() },
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
  );
  service.on('data', (lsn: string, message: PgoutputMessage) => handlers.data(lsn, message));
  service.on('heartbeat', (lsn: string, _time: number, reply: boolean) => handlers.keepalive(lsn, reply));
  service.on('error', (error: Error) => handlers.fail(error));
  return service;
}

/**
 * Starts streaming the slot from its confirmed position (START_REPLICATION at 0/0 lets the
 * server choose it). Resolves once PostgreSQL streams; rejects when the connection fails or
 * ends first (also when its owner destroys it meanwhile). After the start, the connection's end
 * is reported through `fail`.
 */
export function startReplication(
  service: LogicalReplicationService,
  config: SourceConfig,
  handlers: ReplicationHandlers,
): Promise<void> {
  const plugin = new RawPgoutputPlugin({ publicationNames: [config.publication] });
  const counting = Object.create(plugin) as RawPgoutputPlugin;
  counting.parse = (buffer) => {
    handlers.received();
    return plugin.parse(buffer);
  };
  return new Promise<void>((resolve, reject) => {
    service.once('start', () => resolve());
    service.subscribe(counting, config.slot).then(
      () => {
        const ended = new CdcError('REPLICATION_ENDED', 'PostgreSQL ended the replication connection', {
          retriable: true,
          fix: 'none needed: the source reconnects by itself',
        });
        reject(ended); // a no-op once started
        handlers.fail(ended);
      },
      (error: unknown) => {
        reject(error instanceof Error ? error : new Error(String(error)));
        handlers.fail(error);
      },
    );
  });
}
