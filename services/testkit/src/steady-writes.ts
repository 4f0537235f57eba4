import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import type { ChangeEnvelope as Envelope } from '@cdc/core';

// A steady write load on `items (id int primary key, v int not null)` that survives its server
// going away, and the check of what Kafka holds against what it committed: for tests that crash
// servers under load.

const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low));

/** One transaction: the values it writes per key, in order. */
type Change = readonly [id: number, v: number];

/**
 * Commits transactions on `items (id int primary key, v int not null)` one after the other:
 * single-row inserts, multi-row inserts (rows sharing one LSN) and transactions updating several
 * keys (the same one twice, at times). Every value is new, so a commit whose outcome a broken
 * connection hid is told apart afterwards by reading the rows back. Records every committed
 * value per key, in commit order.
 */
export class SteadyWriter {
  /** Per key, every committed value in commit order. */
  readonly committed = new Map<number, number[]>();
  transactions = 0;
  /** Transactions that failed because the server went away (their outcome then looked up). */
  interrupted = 0;
  readonly #url: string;
  readonly #keys: number[] = [];
  #nextId = 1;
  #nextValue = 1;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(url: string) {
    this.#url = url;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops after the transaction under way; resolves the number of committed transactions. */
  async stop(): Promise<number> {
    this.#stopping = true;
    await this.#running;
    return this.transactions;
  }

  async #run(): Promise<void> {
    let client: pg.Client | undefined;
    while (!this.#stopping) {
      try {
        client ??= await connect(this.#url);
      } catch {
        await sleep(200); // the server is away: try again
        continue;
      }
      const changes = this.#next();
      try {
        await this.#write(client, changes);
        this.#record(changes);
      } catch {
        this.interrupted += 1;
        await client.end().catch(() => undefined);
        client = await this.#settle(changes);
      }
      await sleep(between(2, 15));
    }
    await client?.end().catch(() => undefined);
  }

  #next(): Change[] {
    const kind = this.#keys.length < 5 ? 0 : between(0, 10);
    if (kind < 4) return [[this.#nextId++, this.#nextValue++]];
    const changes: Change[] = [];
    if (kind < 6) {
      for (let i = between(2, 6); i > 0; i--) changes.push([this.#nextId++, this.#nextValue++]);
      return changes;
    }
    for (let i = between(1, 4); i > 0; i--)
      changes.push([this.#keys[between(0, this.#keys.length)]!, this.#nextValue++]);
    return changes;
  }

  async #write(client: pg.Client, changes: Change[]): Promise<void> {
    const inserts = changes.every(([id]) => !this.#keys.includes(id));
    if (inserts) {
      await client.query(
        `insert into items values ${changes.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`,
        changes.flat(),
      );
      return;
    }
    await client.query('begin');
    for (const [id, v] of changes) await client.query('update items set v = $2 where id = $1', [id, v]);
    await client.query('commit');
  }

  #record(changes: Change[]): void {
    for (const [id, v] of changes) {
      const list = this.committed.get(id) ?? [];
      list.push(v);
      this.committed.set(id, list);
      if (!this.#keys.includes(id)) this.#keys.push(id);
    }
    this.transactions += 1;
  }

  /**
   * After a failed transaction: reconnects (waiting for the server) and reads its first key back.
   * The values are new, so the row holds this transaction's last value for that key exactly when
   * it committed; all of it did, or none.
   */
  async #settle(changes: Change[]): Promise<pg.Client> {
    const [id] = changes[0]!;
    const last = changes.filter(([key]) => key === id).at(-1)![1];
    for (;;) {
      let client: pg.Client | undefined;
      try {
        client = await connect(this.#url);
        const { rows } = await client.query<{ v: number }>('select v from items where id = $1', [id]);
        if (rows[0]?.v === last) this.#record(changes);
        return client;
      } catch {
        await client?.end().catch(() => undefined);
        await sleep(200);
      }
    }
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined); // a broken idle connection: its next query fails
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export interface History {
  /** Per key, the values of its events, duplicates (same version) left out. */
  readonly values: Map<number, number[]>;
  readonly duplicates: number;
  /** Keys whose versions did not grow: the first event that went back, per key. */
  readonly wentBack: string[];
}

/**
 * The history per key of a topic's change events (decoded by `decode`): a version
 * (source.commit_lsn, source.seq) seen before is a duplicate (allowed: it is the same event
 * sent again); a new version must be newer than every earlier one of its key.
 */
export async function historyOf(
  messages: readonly KafkaMessage[],
  decode: (value: Buffer) => Promise<unknown>,
): Promise<History> {
  const seen = new Map<number, { versions: Set<string>; last: [bigint, bigint]; values: number[] }>();
  let duplicates = 0;
  const wentBack: string[] = [];
  for (const message of messages) {
    if (!message.value) continue; // a tombstone: none in these tests, which never delete
    const envelope = (await decode(message.value)) as Envelope;
    const after = envelope.after as { id: number; v: number };
    const commitLsn = BigInt(envelope.source.commit_lsn as bigint);
    const seq = BigInt(envelope.source.seq as bigint);
    const version = `${commitLsn}/${seq}`;
    const key = seen.get(after.id) ?? { versions: new Set<string>(), last: [-1n, -1n], values: [] };
    seen.set(after.id, key);
    if (key.versions.has(version)) {
      duplicates += 1;
      continue;
    }
    const [lastLsn, lastSeq] = key.last;
    if (!(commitLsn > lastLsn || (commitLsn === lastLsn && seq > lastSeq)))
      wentBack.push(`key ${after.id}: ${version} after ${lastLsn}/${lastSeq}`);
    key.versions.add(version);
    key.last = [commitLsn, seq];
    key.values.push(after.v);
  }
  return { values: new Map([...seen].map(([id, key]) => [id, key.values])), duplicates, wentBack };
}
