import { MongoClient } from 'mongodb';
import {
  CdcError,
  needsOperator,
  readStackEnv,
  sinkClientId,
  type EventVersion,
  type Sink,
  type SinkEvent,
  type SinkRow,
  type VerifiableSink,
  type WriteOutcome,
} from '@cdc/core';
import { writeDocuments, type PlannedWrite } from './bulk-writer.ts';
import {
  isValidCollectionName,
  parseMongoSinkConfig,
  type MongoSinkConfig,
  type MongoSinkConfigInput,
} from './config.ts';
import { documentId, type DocumentId } from './document-id.ts';
import { fieldMapping, type FieldMapping } from './field-mapping.ts';
import { batchFailure } from './mongo-errors.ts';
import { planDocument, type DocumentChange, type DocumentPlan, type PlanSettings } from './plan.ts';
import { prepareCollection, removeExpiredMarkers } from './retention.ts';
import {
  ABSENT,
  META,
  idIn,
  idNot,
  isOlder,
  olderThan,
  storedState,
  type CdcMeta,
  type TargetCollection,
  type TargetDocument,
} from './stored-document.ts';
import { canonicalValue } from '../value-hash.ts';
import { truncateSegments } from './segments.ts';

export interface MongoSinkOptions {
  /** A client to use (and leave open on close); by default the sink opens its own from `url`. */
  readonly client?: MongoClient;
  /** How often expired delete markers are removed while the sink runs (default 5 s). */
  readonly cleanupIntervalMs?: number;
  /** How long a batch waits for a reachable server before it fails as retriable (default 8 s). */
  readonly serverSelectionTimeoutMs?: number;
  /** Where MONGO_URL is read when the configuration has no url (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The collection's last truncate, as a delete marker of every row; readers that skip markers skip
 * it too. No primary key gives this _id: key fields are never named _cdc. Two fields, because
 * FerretDB 1.x does not carry a one-field sub-document _id from an upsert's filter to the insert.
 */
export const TRUNCATE_MARKER_ID = { [META]: 'truncate', of: 'collection' } as const;
const TRUNCATE_TEXT = canonicalValue(TRUNCATE_MARKER_ID);

const FAILED_NO_ROW: WriteOutcome = {
  kind: 'failed',
  reason: 'an insert or update event without an after row',
};

/**
 * Writes each row as the document `_id` = primary key, with the version of its last change in
 * `_cdc` so that every write is guarded: replays and reorderings never move a document backwards.
 */
export class MongoSink implements Sink, VerifiableSink {
  readonly name: string;
  readonly #config: MongoSinkConfig;
  readonly #client: MongoClient;
  readonly #ownsClient: boolean;
  readonly #mapping: FieldMapping;
  readonly #cleanupIntervalMs: number;
  readonly #collections = new Map<string, Promise<TargetCollection>>();
  #timer: NodeJS.Timeout | undefined;
  #cleaning = false;

  constructor(
    config: MongoSinkConfig,
    client: MongoClient,
    options: { ownsClient: boolean; cleanupIntervalMs?: number },
  ) {
    this.name = config.name;
    this.#config = config;
    this.#client = client;
    this.#ownsClient = options.ownsClient;
    this.#mapping = fieldMapping(config.fields);
    this.#cleanupIntervalMs = options.cleanupIntervalMs ?? 5000;
  }

  async start(): Promise<void> {
    try {
      await this.#client.connect();
      // A fixed collection is prepared now; templated ones when their first event arrives.
      if (!this.#config.collection.includes('{')) await this.#collection(this.#config.collection);
    } catch (error) {
      throw startFailure(this.name, this.#config.database, error);
    }
    this.#timer = setInterval(() => void this.#cleanUp(), this.#cleanupIntervalMs);
    this.#timer.unref();
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = new Array<WriteOutcome>(events.length);
    const byCollection = new Map<string, number[]>();
    events.forEach((event, index) => {
      const name = this.#collectionName(event);
      if (!isValidCollectionName(name)) {
        outcomes[index] = {
          kind: 'failed',
          reason: `collection name ${JSON.stringify(name)} is not valid in MongoDB`,
        };
        return;
      }
      const indexes = byCollection.get(name) ?? [];
      indexes.push(index);
      byCollection.set(name, indexes);
    });
    await Promise.all(
      [...byCollection].map(async ([name, indexes]) => {
        let collection: TargetCollection;
        try {
          collection = await this.#collection(name);
        } catch (error) {
          throw batchFailure(this.name, `cannot prepare collection ${name}`, error);
        }
        for (const segment of truncateSegments(indexes, (i) => (events[i] as SinkEvent).op === 't')) {
          if (segment.truncate !== undefined) {
            outcomes[segment.truncate] = await this.#truncate(
              collection,
              events[segment.truncate] as SinkEvent,
            );
          } else {
            await this.#writeSegment(collection, events, segment.indexes, outcomes);
          }
        }
      }),
    );
    return outcomes;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#ownsClient) await this.#client.close();
  }

  #collectionName(event: SinkEvent): string {
    return this.#collectionOf(event.table);
  }

  #collectionOf(table: { readonly schema: string; readonly name: string }): string {
    return this.#config.collection.replaceAll('{table}', table.name).replaceAll('{schema}', table.schema);
  }

  /** The version in the row's document (`_cdc`, a delete marker's too); null without one. */
  async versionOf(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null> {
    const id = documentId(row.key, this.#mapping.fieldOf);
    if ('reason' in id) return null; // such a row is never written: its events are dead letters
    const name = this.#collectionOf(row.table);
    try {
      const doc = await this.#client
        .db(this.#config.database)
        .collection<TargetDocument>(name, { useBigInt64: true })
        .findOne(idIn([id.id.value]));
      return storedState(doc ?? undefined).version;
    } catch (error) {
      throw batchFailure(this.name, `cannot read from ${name}`, error);
    }
  }

  /**
   * For `cdc sink verify`: the live documents of one table (markers skipped), without `_id` and
   * the bookkeeping; documents keep their key columns, which give the key.
   */
  async *scan(
    table: { readonly schema: string; readonly name: string },
    keyColumns: readonly string[],
  ): AsyncGenerator<{ key: SinkRow; row: SinkRow }> {
    const collection = this.#client
      .db(this.#config.database)
      .collection<TargetDocument>(this.#collectionOf(table), { useBigInt64: true });
    for await (const doc of collection.find({})) {
      const row: Record<string, unknown> = { ...doc };
      const bookkeeping = row[META] as { deleted?: unknown } | undefined;
      delete row._id;
      delete row[META];
      if (bookkeeping?.deleted === true) continue;
      if (typeof doc._id === 'object' && doc._id !== null && META in doc._id) continue; // the truncate marker
      const key = Object.fromEntries(
        keyColumns.map((column) => [column, row[this.#mapping.fieldOf(column)]]),
      );
      yield { key, row };
    }
  }

  /** What this sink stores for a source row: its field mapping applied. */
  project(row: SinkRow, key: SinkRow): SinkRow {
    // The mapping only reads the event's key and unchanged columns.
    const mapped = this.#mapping.map({ key, unchanged: [] } as unknown as SinkEvent, row);
    return 'row' in mapped ? mapped.row.fields : row;
  }

  #collection(name: string): Promise<TargetCollection> {
    let prepared = this.#collections.get(name);
    if (!prepared) {
      // useBigInt64: longs come back as bigint, the type rows carry, so hashes and versions compare.
      const collection = this.#client
        .db(this.#config.database)
        .collection<TargetDocument>(name, { useBigInt64: true });
      prepared = prepareCollection(collection).then(async () => {
        await removeExpiredMarkers(collection);
        return collection;
      });
      // A failed preparation is tried again with the next batch.
      prepared.catch(() => this.#collections.delete(name));
      this.#collections.set(name, prepared);
    }
    return prepared;
  }

  async #cleanUp(): Promise<void> {
    if (this.#cleaning) return;
    this.#cleaning = true;
    try {
      const collections = await Promise.allSettled(this.#collections.values());
      for (const result of collections) {
        // The next tick tries again; a server away is the batches' business to report.
        if (result.status === 'fulfilled') await removeExpiredMarkers(result.value).catch(() => 0);
      }
    } finally {
      this.#cleaning = false;
    }
  }

  async #writeSegment(
    collection: TargetCollection,
    events: readonly SinkEvent[],
    indexes: readonly number[],
    outcomes: WriteOutcome[],
  ): Promise<void> {
    const documents = new Map<string, { id: DocumentId; changes: DocumentChange[] }>();
    for (const index of indexes) {
      const event = events[index] as SinkEvent;
      const prepared = this.#prepare(event, index);
      if ('outcome' in prepared) {
        outcomes[index] = prepared.outcome;
        continue;
      }
      const entry = documents.get(prepared.id.text) ?? { id: prepared.id, changes: [] };
      entry.changes.push(prepared.change);
      documents.set(prepared.id.text, entry);
    }
    if (documents.size === 0) return;

    let found: Map<string, Record<string, unknown>>;
    try {
      const ids = [...documents.values()].map((d) => d.id.value);
      const docs = await collection.find(idIn([...ids, TRUNCATE_MARKER_ID])).toArray();
      found = new Map(docs.map((doc) => [canonicalValue(doc._id), doc]));
    } catch (error) {
      throw batchFailure(
        this.name,
        `cannot read the batch's documents from ${collection.collectionName}`,
        error,
      );
    }
    const floor = storedState(found.get(TRUNCATE_TEXT)).version;
    const settings: PlanSettings = {
      policy: this.#config.conflict.policy,
      timestampField: this.#config.conflict.timestamp_field,
      deleteRetentionMs: this.#config.delete_retention_ms,
      now: Date.now(),
    };
    const plans: DocumentPlan[] = [];
    const writes: PlannedWrite[] = [];
    for (const { id, changes } of documents.values()) {
      const doc = found.get(id.text);
      const plan = planDocument(id, doc ? storedState(doc) : ABSENT, changes, settings, floor);
      plans.push(plan);
      if (plan.write) writes.push({ id: id.value, ...plan.write });
    }

    let results;
    try {
      results = await writeDocuments(collection, writes);
    } catch (error) {
      throw batchFailure(this.name, `cannot write to ${collection.collectionName}`, error);
    }
    let w = 0;
    for (const plan of plans) {
      for (const [index, outcome] of plan.outcomes) outcomes[index] = outcome;
      if (!plan.write) continue;
      const result = results[w++];
      if (!result || result.kind === 'applied') continue;
      for (const index of plan.write.indexes) {
        const provisional = outcomes[index];
        const conflict = provisional && 'conflict' in provisional ? provisional.conflict : undefined;
        outcomes[index] =
          result.kind === 'stale'
            ? { kind: 'stale' }
            : { kind: 'failed', reason: result.reason, ...(conflict ? { conflict } : {}) };
      }
    }
  }

  #prepare(
    event: SinkEvent,
    index: number,
  ): { outcome: WriteOutcome } | { id: DocumentId; change: DocumentChange } {
    const result = documentId(event.key, this.#mapping.fieldOf);
    if ('reason' in result) return { outcome: { kind: 'failed', reason: result.reason } };
    if (event.op === 'd') return { id: result.id, change: { kind: 'delete', index, event } };
    if (!event.after) return { outcome: FAILED_NO_ROW };
    const mapped = this.#mapping.map(event, event.after);
    if ('reason' in mapped) return { outcome: { kind: 'failed', reason: mapped.reason } };
    return { id: result.id, change: { kind: 'upsert', index, event, row: mapped.row } };
  }

  /**
   * Truncate: every document older than the truncate goes, and a collection-wide marker keeps an
   * older replayed insert from bringing its row back (until the marker expires like any other).
   */
  async #truncate(collection: TargetCollection, event: SinkEvent): Promise<WriteOutcome> {
    const version: EventVersion = event.version;
    const marker: CdcMeta = {
      lsn: version.commitLsn,
      seq: version.seq,
      deleted: true,
      expire_at: new Date(Date.now() + this.#config.delete_retention_ms),
    };
    const write: PlannedWrite = {
      id: TRUNCATE_MARKER_ID,
      version,
      model: {
        updateMany: {
          filter: { _id: TRUNCATE_MARKER_ID, ...olderThan(version) },
          update: { $set: { [META]: marker } },
          upsert: true,
        },
      },
    };
    try {
      // A replayed truncate is stale: equal versions count as landed once a write has collided.
      const floor = storedState((await collection.findOne(idIn([TRUNCATE_MARKER_ID]))) ?? undefined).version;
      if (!isOlder(floor, version)) return { kind: 'stale' };
      const [result] = await writeDocuments(collection, [write]);
      if (result?.kind !== 'applied') return result?.kind === 'failed' ? result : { kind: 'stale' };
      await collection.deleteMany({ ...idNot(TRUNCATE_MARKER_ID), ...olderThan(version) });
      return { kind: 'written' };
    } catch (error) {
      throw batchFailure(this.name, `cannot truncate ${collection.collectionName}`, error);
    }
  }
}

function startFailure(sink: string, database: string, error: unknown): CdcError {
  const failure = batchFailure(sink, `cannot prepare database ${database}`, error);
  if (needsOperator(failure)) return failure;
  return new CdcError('SINK_START_FAILED', failure.message, {
    retriable: failure.retriable,
    ...(failure.fix ? { fix: failure.fix } : {}),
    cause: error,
  });
}

/**
 * A MongoDB sink from its `sinks:` entry (validated here). Without a client, it opens its own
 * from `url`, else MONGO_URL, else the local stack's default.
 */
export function createMongoSink(
  config: MongoSinkConfigInput | MongoSinkConfig,
  options: MongoSinkOptions = {},
): MongoSink {
  const parsed = parseMongoSinkConfig(config);
  if (options.client) {
    return new MongoSink(parsed, options.client, { ownsClient: false, ...cleanup(options) });
  }
  const url = parsed.url ?? readStackEnv(options.env ?? process.env).MONGO_URL;
  const timeout = options.serverSelectionTimeoutMs ?? 8000;
  const client = new MongoClient(url, {
    useBigInt64: true,
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    appName: sinkClientId(parsed.name),
  });
  return new MongoSink({ ...parsed, url }, client, { ownsClient: true, ...cleanup(options) });
}

function cleanup(options: MongoSinkOptions): { cleanupIntervalMs?: number } {
  return options.cleanupIntervalMs === undefined ? {} : { cleanupIntervalMs: options.cleanupIntervalMs };
}
