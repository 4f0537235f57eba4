import type { Span } from '@opentelemetry/api';
import pg from 'pg';
import { CdcError } from '@cdc/core';
import type { SourceConfig } from '../config.ts';
import { buildChangeEvents } from '../events/change-event.ts';
import { EventSeqs } from '../events/event-seqs.ts';
import { lsnToBigInt } from '../pgoutput/messages.ts';
import { ensurePublication, ensurePublicationAndSlot } from '../publication-setup.ts';
import { readSlot } from '../setup-catalog.ts';
import { createKafkaWriter, type KafkaWriter, type OutRecord } from '../stream/kafka-writer.ts';
import { SchemaRegistrar, type RegisteredTable } from '../stream/schema-registrar.ts';
import { snapshotMarker } from '../debezium/snapshot-marker.ts';
import { microsNow } from '../micros-now.ts';
import type { SnapshotObserver } from '../source-metrics.ts';
import { startChangeSpans, whenSent } from '../tracing/change-span.ts';
import { createExportedSlot } from './exported-slot.ts';
import { snapshotState, writeSnapshotState } from './snapshot-state.ts';
import { SnapshotReader, type TextRow } from './table-reader.ts';

export interface SnapshotOptions {
  readonly config: SourceConfig;
  /** Defaults to an idempotent kafkajs producer on config.kafka.brokers (closed at the end). */
  readonly writer?: KafkaWriter;
  readonly registrar?: SchemaRegistrar;
  /** source.version of the events. */
  readonly version?: string;
  /** Records per Kafka send; defaults to snapshot.chunk_rows. */
  readonly batchSize?: number;
  /** Told what it reads and sends, per table (the source's metrics). */
  readonly observer?: SnapshotObserver;
}

export interface SnapshotResult {
  /** The slot's start, 'X/X': the stream continues from exactly there. */
  readonly consistentPoint: string;
  readonly rows: number;
}

/**
 * Copies every captured table into Kafka as 'r' events, from the snapshot exported by the slot
 * it creates, then records completion in the state topic. The slot must not exist yet.
 *
 * Every event carries the consistent point as commit_lsn and a running seq across the whole
 * snapshot (one EventSeqs, a seq per row), so versions are unique and below those of any streamed
 * change (whose commit LSN lies past the consistent point): a sink never lets a snapshot row
 * overwrite a newer change.
 */
export async function runSnapshot(options: SnapshotOptions): Promise<SnapshotResult> {
  const { config } = options;
  const writer = options.writer ?? createKafkaWriter({ brokers: config.kafka.brokers });
  const registrar = options.registrar ?? new SchemaRegistrar(config.registry.url);
  const batchSize = options.batchSize ?? config.snapshot.chunk_rows;
  try {
    await refuseExistingSlot(config);
    // Before the slot exists: a crash from here until 'done' leaves 'started' as the latest state,
    // even if the state topic still holds a 'done' of an earlier slot of the same name.
    await writeSnapshotState(config, writer, {
      slot: config.slot,
      snapshot: 'started',
      startedAt: new Date().toISOString(),
    });
    const slot = await createExportedSlot(config.database.url, config.slot);
    let rows = 0;
    try {
      const reader = await SnapshotReader.open(config.database.url, slot.snapshotName, config);
      try {
        rows = await copyTables(
          options,
          reader,
          registrar,
          writer,
          lsnToBigInt(slot.consistentPoint),
          batchSize,
        );
      } finally {
        await reader.close();
      }
    } finally {
      // Only now: closing the replication connection ends the exported snapshot.
      await slot.close();
    }
    // Every record above is acknowledged by Kafka (send resolved): only now is the snapshot done.
    await writeSnapshotState(config, writer, {
      slot: config.slot,
      snapshot: 'done',
      consistentPoint: slot.consistentPoint,
      finishedAt: new Date().toISOString(),
    });
    return { consistentPoint: slot.consistentPoint, rows };
  } finally {
    if (!options.writer) await writer.close();
  }
}

/** Checked before 'started' is written, which would mark an existing slot's snapshot unfinished. */
async function refuseExistingSlot(config: SourceConfig): Promise<void> {
  const client = new pg.Client({ connectionString: config.database.url });
  await client.connect();
  try {
    if (!(await readSlot(client, config.slot))) return;
  } finally {
    await client.end();
  }
  throw new CdcError('SLOT_EXISTS', `slot ${config.slot} exists: a snapshot needs a new slot`, {
    fix: 'use prepareSnapshot, which decides from snapshot.mode whether to drop the slot and copy again',
    details: { slot: config.slot },
  });
}

/** A row read but not sent yet: a row is held back until the next shows where it stood. */
interface HeldRow {
  readonly table: RegisteredTable;
  readonly row: TextRow;
  /** Its table's place in the list of tables. */
  readonly tableIndex: number;
  readonly firstInTable: boolean;
  lastInTable: boolean;
}

async function copyTables(
  options: SnapshotOptions,
  reader: SnapshotReader,
  registrar: SchemaRegistrar,
  writer: KafkaWriter,
  consistentPoint: bigint,
  batchSize: number,
): Promise<number> {
  const { config } = options;
  const database = await reader.database();
  const names =
    config.tables === 'all'
      ? await reader.publishedTables(config.publication)
      : config.tables.map((name) => ({ schema: name.split('.')[0]!, name: name.split('.')[1]! }));
  const startedUs = microsNow();
  const commitTimeMs = startedUs / 1000n;
  // Debezium's snapshot rows carry the id of the transaction that read them; ours carry none.
  const snapshotTxId = config.envelope === 'debezium' ? await reader.transactionId() : undefined;
  const seqs = new EventSeqs();
  let rows = 0;
  let batch: OutRecord[] = [];
  let spans: Span[] = []; // of the records in batch, ended once Kafka has them (tracing)
  // One row is held back, so that the very last row of the snapshot can be marked 'last' (and,
  // in Debezium's envelope, the last row of each table).
  let held: HeldRow | undefined;

  const emit = async ({ table, row, tableIndex, firstInTable, lastInTable }: HeldRow, last: boolean) => {
    const records = buildChangeEvents({
      database,
      version: options.version ?? '0.1.0',
      nowMs: BigInt(Date.now()),
      shape: table.shape,
      message: { tag: 'read', row, last },
      context: { txId: null, lsn: null, commitLsn: consistentPoint, seqs, commitTimeMs },
    });
    rows += 1;
    const snapshot = snapshotMarker({
      firstTable: tableIndex === 0,
      lastTable: tableIndex === names.length - 1,
      firstInTable,
      lastInTable,
      lastOfSnapshot: last,
    });
    const formatted = registrar.format(table, records, {
      snapshot,
      commitTimeUs: startedUs,
      ...(snapshotTxId === undefined ? {} : { snapshotTxId }),
    });
    const traced = startChangeSpans(
      table,
      database,
      formatted.map(({ record }) => record),
    );
    for (const [index, record] of formatted.entries()) {
      batch.push(await registrar.encodeRecord(table, record, traced[index]!.headers));
      spans.push(traced[index]!.span);
    }
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    const sent = spans;
    batch = [];
    spans = [];
    const startedMs = performance.now();
    await whenSent(sent, writer.send(records));
    options.observer?.sent(records.length, (performance.now() - startedMs) / 1000);
  };

  for (const [tableIndex, { schema, name }] of names.entries()) {
    const table = await reader.table(schema, name);
    const registered = await registrar.register(table.shape);
    const job = `${schema}.${name}`;
    if (options.observer) options.observer.tableStarted(job, await reader.estimatedRows(table));
    let firstInTable = true;
    for await (const chunk of reader.rows(table, config.snapshot.chunk_rows)) {
      options.observer?.rowsRead(job, chunk.length);
      for (const row of chunk) {
        if (held) await emit(held, false);
        held = { table: registered, row, tableIndex, firstInTable, lastInTable: false };
        firstInTable = false;
        if (batch.length >= batchSize) await flush();
      }
    }
    if (held?.tableIndex === tableIndex) held.lastInTable = true;
    options.observer?.tableDone(job);
  }
  if (held) await emit(held, true);
  await flush();
  return rows;
}

export interface PrepareResult {
  readonly snapshot: 'taken' | 'skipped';
  /** Why, in words for the log. */
  readonly reason: string;
  readonly consistentPoint?: string;
  readonly rows?: number;
}

/**
 * Makes the slot ready for the stream, taking a snapshot when snapshot.mode asks for one. Call it
 * after preflight and before starting the ChangeStream (which then starts at the slot's position).
 * With initial_only the caller stops afterwards instead of streaming.
 */
export async function prepareSnapshot(
  config: SourceConfig,
  options: Omit<SnapshotOptions, 'config'> = {},
): Promise<PrepareResult> {
  const client = new pg.Client({ connectionString: config.database.url });
  // Idle while the state topic is read and the snapshot copied: a server that goes away then
  // must fail the next query (and the source reconnect), not end the process unhandled.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const mode = config.snapshot.mode;
    const slot = await readSlot(client, config.slot);
    if (mode === 'never' || (slot && !(mode === 'when_needed' && slot.wal_status === 'lost'))) {
      if (mode !== 'never' && slot && (await snapshotState(config))?.snapshot !== 'done') {
        // A slot without a finished snapshot: the process died while copying. Its consistent point
        // is gone with its exported snapshot, so the copy cannot resume: drop the slot and copy
        // everything again. Rows already sent arrive twice (sinks are idempotent per version);
        // keeping the slot and skipping the copy would lose the rows not yet sent: a gap.
        await dropSlot(client, config.slot);
        return await snapshot(client, config, options, 'the previous snapshot did not finish: taken again');
      }
      // Creates a missing slot plainly (never) and checks an existing one (a lost one fails here).
      await ensurePublicationAndSlot(client, config);
      return { snapshot: 'skipped', reason: slot ? 'the slot exists' : 'snapshot.mode is never' };
    }
    if (slot) {
      // when_needed and the slot is lost: PostgreSQL removed WAL it had not streamed yet.
      await dropSlot(client, config.slot);
      return await snapshot(client, config, options, 'the slot was lost: snapshot taken again');
    }
    return await snapshot(client, config, options, 'no slot yet: initial snapshot');
  } finally {
    await client.end();
  }
}

async function snapshot(
  client: pg.Client,
  config: SourceConfig,
  options: Omit<SnapshotOptions, 'config'>,
  reason: string,
): Promise<PrepareResult> {
  await ensurePublication(client, config);
  const result = await runSnapshot({ ...options, config });
  return { snapshot: 'taken', reason, ...result };
}

async function dropSlot(client: pg.Client, slot: string): Promise<void> {
  try {
    await client.query('select pg_drop_replication_slot($1)', [slot]);
  } catch (error) {
    throw new CdcError('SLOT_IN_USE', `cannot drop slot ${slot} to take the snapshot again`, {
      retriable: true,
      fix: 'stop the other process streaming from this slot, then restart',
      cause: error,
    });
  }
}
