import pg from 'pg';
import type { LogicalMessage } from '../pgoutput/messages.ts';

/** The prefix of our heartbeat messages: the stream recognises them by it. */
export const HEARTBEAT_PREFIX = 'cdc.heartbeat';

/**
 * Transactional on purpose: it arrives in the slot as a tiny transaction
 * of its own (Begin, Message, Commit) whose end the stream acknowledges like any other, so the
 * slot advances while captured tables are idle. A non-transactional message carries no commit,
 * and PeerDB found that it lets WAL pile up.
 */
export const HEARTBEAT_SQL = `select pg_logical_emit_message(true, '${HEARTBEAT_PREFIX}', $1)::text as lsn`;

export function isHeartbeatMessage(message: LogicalMessage): boolean {
  return message.prefix === HEARTBEAT_PREFIX;
}

/** The little of pg.Client a heartbeat uses: replaceable in unit tests. */
export interface HeartbeatClient {
  query(text: string, values: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface HeartbeatOptions {
  /** A normal (non-replication) connection string to the source database. */
  readonly connectionString: string;
  readonly intervalMs: number;
  /**
   * Told about every failed run, with the number of failures in a row (1: it was fine until now);
   * the heartbeat carries on and retries next interval.
   */
  readonly onError?: (error: unknown, failuresInARow: number) => void;
  /** Defaults to a pg.Client with connect and query timeouts tied to the interval. */
  readonly connect?: () => Promise<HeartbeatClient>;
  readonly now?: () => Date;
}

export interface HeartbeatCounters {
  sent: number;
  failed: number;
  /** Failures since the last success. */
  failuresInARow: number;
  /** Message of the last failure, cleared by the next success. */
  lastError: string | undefined;
}

async function connectPg(connectionString: string, intervalMs: number): Promise<HeartbeatClient> {
  // A run that hangs would hold back every later one (runs never overlap): bound it.
  const timeoutMs = Math.max(5_000, intervalMs);
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'cdc-heartbeat',
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * Every `intervalMs`, emits a transactional logical message on its own connection. Runs never
 * overlap: the next is scheduled only once the previous has finished. A failed run is counted
 * and reported, its connection dropped, and the next run reconnects.
 */
export class Heartbeat {
  readonly counters: HeartbeatCounters = { sent: 0, failed: 0, failuresInARow: 0, lastError: undefined };
  readonly #options: HeartbeatOptions;
  #client: HeartbeatClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    if (!(options.intervalMs > 0)) throw new Error('Heartbeat: intervalMs must be positive');
    this.#options = options;
  }

  start(): void {
    if (this.#started) throw new Error('Heartbeat.start() called twice');
    this.#started = true;
    this.#schedule();
  }

  /** One run, now; never throws. Exposed for tests and for a first beat on demand. */
  beat(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Cancels the next run, waits for one in flight, and closes the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#drop();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.beat().then(() => this.#schedule());
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    try {
      const client = (this.#client ??= await this.#connect());
      const now = (this.#options.now ?? (() => new Date()))();
      await client.query(HEARTBEAT_SQL, [now.toISOString()]);
      this.counters.sent += 1;
      this.counters.failuresInARow = 0;
      this.counters.lastError = undefined;
    } catch (error) {
      this.counters.failed += 1;
      this.counters.failuresInARow += 1;
      this.counters.lastError = error instanceof Error ? error.message : String(error);
      // The connection may be broken: start afresh next time.
      await this.#drop();
      if (!this.#stopped) this.#options.onError?.(error, this.counters.failuresInARow);
    }
  }

  async #connect(): Promise<HeartbeatClient> {
    const { connect, connectionString, intervalMs } = this.#options;
    const client = await (connect ? connect() : connectPg(connectionString, intervalMs));
    // An idle connection that breaks emits 'error'; without a listener that would crash the process.
    client.on('error', () => {
      if (this.#client === client) this.#client = undefined;
      void client.end().catch(() => undefined);
    });
    return client;
  }

  async #drop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
