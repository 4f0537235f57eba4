import type { Span } from '@opentelemetry/api';
import type { LogicalReplicationService } from 'pg-logical-replication';
import pg from 'pg';
import { CLIENT_RETRY, CdcError, recordSizeBound } from '@cdc/core';
import type { SourceConfig } from '../config.ts';
import type { FormattedRecord } from '../envelope-format.ts';
import { buildChangeEvents, type ChangeEventInput } from '../events/change-event.ts';
import { TransactionTracker, type ChangeContext } from '../events/transaction-tracker.ts';
import {
  bigIntToLsn,
  lsnToBigInt,
  type PgoutputMessage,
  type RelationMessage,
} from '../pgoutput/messages.ts';
import type { StreamObserver } from '../source-metrics.ts';
import { endChangeSpans, startChangeSpans, whenSent, type ChangeSpan } from '../tracing/change-span.ts';
import { Heartbeat, isHeartbeatMessage, type HeartbeatOptions } from './heartbeat.ts';
import { createKafkaWriter, type KafkaWriter, type OutRecord } from './kafka-writer.ts';
import { createReplication, startReplication, type ReplicationHandlers } from './replication-connection.ts';
import {
  newCounters,
  readMetrics,
  type ChangeStreamCounters,
  type ChangeStreamMetrics,
} from './stream-progress.ts';
import { SchemaRegistrar, type RegisteredTable } from './schema-registrar.ts';
import { TableShapes } from './table-shapes.ts';

// Moved to replication-connection.ts; still exported here for the modules that import it from here.
export { replicationSessionOptions } from './replication-connection.ts';

export interface ChangeStreamOptions {
  readonly config: SourceConfig;
  /** Told about each failed heartbeat run (the heartbeat retries on its own); default: ignored. */
  readonly onHeartbeatError?: HeartbeatOptions['onError'];
  /** Records buffered before a flush inside a transaction: bounds memory, however big it is. */
  readonly batchSize?: number;
  /**
   * Bytes (keys, values, headers) buffered before a flush, whichever of batchSize and this comes
   * first: with wide rows a record count alone would not bound memory. Default 1 MiB.
   */
  readonly batchBytes?: number;
  /** source.version of the events. */
  readonly version?: string;
  /** Defaults to an idempotent kafkajs producer on config.kafka.brokers. */
  readonly writer?: KafkaWriter;
  /** Told what it decodes, sends and sees of the heartbeat (the source's metrics). */
  readonly observer?: StreamObserver;
}

interface PendingCommit {
  endLsn: bigint;
  commitTimeMs: number;
  heartbeatOnly: boolean;
}

/**
 * Streams the slot into Kafka. The slot's confirmed position only ever moves to the end of a
 * transaction whose every record Kafka has acknowledged (never past unwritten work), or, when
 * nothing is in flight, to a keepalive's position. After a crash PostgreSQL resends every
 * transaction after that position, whole, so delivery is at-least-once with stable versions.
 */
export class ChangeStream {
  readonly counters: ChangeStreamCounters = newCounters();
  readonly #options: ChangeStreamOptions;
  readonly #batchSize: number;
  readonly #batchBytes: number;
  readonly #tracker = new TransactionTracker();
  readonly #tables = new Map<number, RegisteredTable>();
  readonly #writer: KafkaWriter;
  #registrar: SchemaRegistrar | undefined;
  #catalog: pg.Client | undefined;
  #shapes: TableShapes | undefined;
  #service: LogicalReplicationService | undefined;
  #heartbeat: Heartbeat | undefined;
  // The open transaction held our heartbeat message.
  #heartbeatInTransaction = false;
  #database = '';
  #batch: OutRecord[] = [];
  #bytes = 0; // recordSizeBound() of the records in #batch
  #spans: Span[] = []; // of the records in #batch, ended once Kafka has them (tracing)
  // Commits whose records are all in #batch or in sends already made, acknowledged after the
  // next send: consecutive commits share one Kafka round trip (group commit).
  #commits: PendingCommit[] = [];
  #inFlight: Promise<void> | undefined; // the one send under way; sends never overlap
  #durable = 0n; // the last position acknowledged to the slot
  // Messages parsed off the socket vs handled: equal means nothing is queued in the library.
  #received = 0;
  #handled = 0;
  #started = false;
  #closing = false;
  #failed = false;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** Settles when the stream ends: resolved by stop(), rejected with the error that stopped it. */
  readonly done: Promise<void>;

  constructor(options: ChangeStreamOptions) {
    this.#options = options;
    this.#batchSize = options.batchSize ?? 1000;
    this.#batchBytes = options.batchBytes ?? 2 ** 20;
    // Short kafkajs retries: a broker that is away fails the send within seconds, /ready says so,
    // and the source reconnects from the slot (which confirmed only what Kafka acknowledged).
    this.#writer =
      options.writer ?? createKafkaWriter({ brokers: options.config.kafka.brokers, retry: CLIENT_RETRY });
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.done.catch(() => undefined); // observed through `done` by whoever wants it
  }

  /**
   * Resolves once PostgreSQL streams; failures after that reject `done`. A start that fails (or
   * that stop() interrupts) closes whatever it opened before it rejects, and rejects `done` too.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('ChangeStream.start() called twice');
    this.#started = true;
    try {
      if (this.#closing) throw new CdcError('STREAM_STOPPED', 'the stream was stopped before it started');
      await this.#open();
    } catch (error) {
      // A close that came first (stop(), a failed connection) may have missed what opened after it.
      if (this.#closing) await this.#close();
      else this.#fail(error);
      await this.done.catch(() => undefined);
      throw error;
    }
  }

  async #open(): Promise<void> {
    const { config } = this.#options;
    this.#catalog = new pg.Client({ connectionString: config.database.url });
    this.#catalog.on('error', (error) => this.#fail(error));
    // Kafka is connected before streaming starts: otherwise the first change waits for it.
    const connected = await Promise.allSettled([this.#catalog.connect(), this.#writer.connect?.()]);
    for (const result of connected) if (result.status === 'rejected') throw result.reason;
    const { rows } = await this.#catalog.query<{ db: string; confirmed: string | null }>(
      `select current_database() as db,
              (select confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1) as confirmed`,
      [config.slot],
    );
    this.#database = rows[0]!.db;
    // Start from the slot's own position, so a keepalive answered before the first commit never
    // reports a position behind it.
    this.#durable = rows[0]?.confirmed ? lsnToBigInt(rows[0].confirmed) : 0n;
    this.#shapes = new TableShapes(this.#catalog, config);
    this.#registrar = new SchemaRegistrar(config.registry.url);
    // stop() may have closed everything meanwhile: open nothing more that it would miss.
    if (this.#closing) throw new CdcError('STREAM_STOPPED', 'the stream was stopped while starting');
    const handlers: ReplicationHandlers = {
      data: (lsn, message) => this.#onData(lsn, message),
      keepalive: (lsn, reply) => this.#onKeepalive(lsn, reply),
      received: () => void (this.#received += 1),
      fail: (error) => this.#fail(error),
    };
    this.#service = createReplication(config, handlers);
    await startReplication(this.#service, config, handlers);
    if (config.heartbeat.interval_ms > 0 && !this.#closing) {
      this.#heartbeat = new Heartbeat({
        connectionString: config.database.url,
        intervalMs: config.heartbeat.interval_ms,
        ...(this.#options.onHeartbeatError ? { onError: this.#options.onHeartbeatError } : {}),
      });
      this.#heartbeat.start();
    }
  }

  /** Heartbeat runs sent and failed, when heartbeats are on. */
  get heartbeatCounters(): Heartbeat['counters'] | undefined {
    return this.#heartbeat?.counters;
  }

  /** Lag figures, queried on demand; rejects once the stream has stopped. */
  async metrics(): Promise<ChangeStreamMetrics> {
    if (!this.#catalog || this.#closing) throw new Error('ChangeStream.metrics(): the stream is not running');
    return readMetrics(this.#catalog, this.#options.config.slot, this.counters);
  }

  /** Stops without flushing: what Kafka has not acknowledged is resent after the next start. */
  async stop(): Promise<void> {
    if (this.#closing) return this.done.catch(() => undefined);
    this.#closing = true;
    await this.#close();
    this.#settle?.resolve();
  }

  #fail(error: unknown): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#failed = true;
    void this.#close().finally(() => this.#settle?.reject(error));
  }

  async #close(): Promise<void> {
    endChangeSpans(this.#spans.splice(0), new Error('the stream stopped before these records were sent'));
    await Promise.allSettled([
      this.#heartbeat?.stop(),
      this.#service?.destroy(),
      this.#catalog?.end(),
      this.#writer.close(),
    ]);
  }

  // Most messages are handled without awaiting anything (no registration, no back-pressure), so
  // the handlers return a promise only when they have to wait: an await per message and record
  // was a measurable part of the per-record cost.
  #onData(lsn: string, message: PgoutputMessage): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      if (!this.#closing) pending = this.#handle(message, lsnToBigInt(lsn));
    } catch (error) {
      this.#fail(error);
    }
    if (!pending) {
      this.#handled += 1;
      return undefined;
    }
    return pending.then(
      () => {
        this.#handled += 1;
      },
      (error: unknown) => {
        this.#handled += 1;
        this.#fail(error);
      },
    );
  }

  #handle(message: PgoutputMessage, lsn: bigint): Promise<void> | undefined {
    const step = this.#tracker.feed(message, lsn);
    switch (step.kind) {
      case 'relation':
        return this.#register(step.relation);
      case 'change':
        this.#options.observer?.decoded(1);
        return this.#append(step.relation, step.message, step.context);
      case 'truncate':
        this.#options.observer?.decoded(step.relations.length);
        return this.#truncate(step.relations, step.message, step.context);
      case 'begin':
        this.#heartbeatInTransaction = false;
        return;
      case 'commit': {
        // Acknowledged once the send carrying its last record has succeeded. A heartbeat-only
        // transaction has no record, yet its end is acknowledged, so the slot moves while
        // captured tables are idle, and a busy database's WAL does not pile up behind it.
        this.#commits.push({
          endLsn: step.summary.endLsn,
          commitTimeMs: Number(step.summary.commitTimeMs),
          heartbeatOnly: step.summary.changes === 0 && this.#heartbeatInTransaction,
        });
        if (this.#heartbeatInTransaction) this.#options.observer?.heartbeatSeen();
        this.#heartbeatInTransaction = false;
        this.#send();
        return this.#full() ? this.#makeRoom() : undefined;
      }
      case 'other':
        if (
          step.message.tag === 'message' &&
          step.message.transactional &&
          isHeartbeatMessage(step.message)
        ) {
          this.#heartbeatInTransaction = true;
        }
        return;
      default:
        return;
    }
  }

  async #register(relation: RelationMessage): Promise<void> {
    const shape = await this.#shapes!.resolve(relation);
    this.#tables.set(relation.relationOid, await this.#registrar!.register(shape));
  }

  async #truncate(
    relations: readonly RelationMessage[],
    message: ChangeEventInput['message'],
    context: ChangeContext,
  ): Promise<void> {
    for (const relation of relations) await this.#append(relation, message, context);
  }

  #append(
    relation: RelationMessage,
    message: ChangeEventInput['message'],
    context: ChangeContext,
  ): Promise<void> | undefined {
    const table = this.#tables.get(relation.relationOid);
    if (!table) throw new CdcError('PGOUTPUT_ORDER', `no schema for relation ${relation.relationOid}`);
    // Laid out by the table's envelope, which may leave some out (Debezium's emits no truncates)
    // and reads what the open transaction adds (Debezium's source.sequence and microseconds).
    const records = this.#registrar!.format(
      table,
      buildChangeEvents({
        database: this.#database,
        version: this.#options.version ?? '0.1.0',
        nowMs: BigInt(Date.now()),
        shape: table.shape,
        relation,
        message,
        context,
      }),
      this.#tracker.transaction ?? {},
    );
    const spans = startChangeSpans(
      table,
      this.#database,
      records.map(({ record }) => record),
    );
    for (let index = 0; index < records.length; index++) {
      const out = this.#registrar!.tryEncodeRecord(table, records[index]!, spans[index]!.headers);
      // Not encodable at once (schema not loaded yet, or an invalid value to report): the async way.
      if (!out) return this.#appendSlowly(table, records, spans, index);
      this.#push(out, spans[index]!.span);
    }
    return this.#full() ? this.#flushFull() : undefined;
  }

  async #appendSlowly(
    table: RegisteredTable,
    records: readonly FormattedRecord[],
    spans: readonly ChangeSpan[],
    from: number,
  ): Promise<void> {
    for (let index = from; index < records.length; index++) {
      this.#push(
        await this.#registrar!.encodeRecord(table, records[index]!, spans[index]!.headers),
        spans[index]!.span,
      );
    }
    if (this.#full()) await this.#flushFull();
  }

  #push(record: OutRecord, span: Span): void {
    this.#batch.push(record);
    this.#spans.push(span);
    this.#bytes += recordSizeBound(record);
  }

  #full(): boolean {
    return this.#batch.length >= this.#batchSize || this.#bytes >= this.#batchBytes;
  }

  /** A big transaction goes out in batches as it arrives, never held whole in memory. */
  #flushFull(): Promise<void> {
    this.#send();
    return this.#makeRoom();
  }

  /**
   * Starts a send of everything buffered, unless one is under way: its completion starts the
   * next, so records leave in stream order, one request at a time (idempotent producer), while
   * the stream keeps decoding. After Kafka has a send, the commits it completed are acknowledged.
   */
  #send(): void {
    if (this.#inFlight || this.#closing) return;
    if (this.#batch.length === 0 && this.#commits.length === 0) return;
    const batch = this.#batch;
    const spans = this.#spans;
    const commits = this.#commits;
    this.#batch = [];
    this.#bytes = 0;
    this.#spans = [];
    this.#commits = [];
    this.#inFlight = this.#deliver(batch, spans, commits).then(
      () => {
        this.#inFlight = undefined;
        this.#send();
      },
      (error: unknown) => {
        this.#inFlight = undefined;
        this.#fail(error);
      },
    );
  }

  async #deliver(batch: OutRecord[], spans: Span[], commits: PendingCommit[]): Promise<void> {
    if (batch.length > 0) {
      const startedMs = performance.now();
      await whenSent(spans, this.#writer.send(batch));
      this.counters.eventsSent += batch.length;
      this.#options.observer?.sent(batch.length, (performance.now() - startedMs) / 1000);
    }
    const last = commits.at(-1);
    if (!last) return;
    // Only now is every record of these transactions in Kafka: the slot may pass them.
    for (const commit of commits) {
      if (commit.heartbeatOnly) this.counters.heartbeatsAcknowledged += 1;
      else this.counters.transactionsAcknowledged += 1;
    }
    await this.#acknowledge(last.endLsn);
    if (!this.#failed) this.counters.lastAcknowledgedCommitTimeMs = last.commitTimeMs;
  }

  /** Back-pressure: holds the stream while a full batch waits behind the send under way. */
  async #makeRoom(): Promise<void> {
    while (this.#full() && !this.#closing) {
      if (this.#inFlight) await this.#inFlight;
      else this.#send();
    }
  }

  /**
   * Keepalives asking for a reply get the last durable position; when nothing at all is in
   * flight (no open transaction, nothing queued or buffered), the keepalive's own position,
   * so that PostgreSQL can recycle WAL that held no change of ours.
   */
  #onKeepalive(lsn: string, reply: boolean): void {
    if (!reply || this.#closing) return;
    const idle =
      this.#received === this.#handled &&
      !this.#tracker.inTransaction &&
      this.#batch.length === 0 &&
      this.#commits.length === 0 &&
      !this.#inFlight;
    const position = lsnToBigInt(lsn);
    this.#acknowledge(idle && position > this.#durable ? position : this.#durable).catch((error: unknown) =>
      this.#fail(error),
    );
  }

  async #acknowledge(position: bigint): Promise<void> {
    if (this.#failed || position < this.#durable) return;
    this.#durable = position;
    // The library reports "lsn + 1" as written/flushed; PostgreSQL wants the end position itself.
    // One byte too far could skip a transaction whose commit record starts right at that end.
    if (position > 0n) await this.#service?.acknowledge(bigIntToLsn(position - 1n));
    this.counters.lastAcknowledgedLsn = bigIntToLsn(position);
  }
}
