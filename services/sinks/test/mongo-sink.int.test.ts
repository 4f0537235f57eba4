import { createServer, connect, type Server, type Socket } from 'node:net';
import { MongoClient, type CommandStartedEvent, type Document, type Filter } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdcError, type SinkEvent, type SinkRow } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import { TRUNCATE_MARKER_ID, createMongoSink, type MongoSinkOptions } from '../src/mongo/index.ts';
import { event, sinkConformance, type SinkHandle, type SinkOptionsUnderTest } from './conformance.ts';

const iso = isolate('mongo-sink');
let reader: MongoClient;
let collections = 0;

beforeAll(() => {
  reader = new MongoClient(iso.env.MONGO_URL, { useBigInt64: true });
});

afterAll(async () => {
  await reader.close();
});

const toBigInt = (value: unknown) => (typeof value === 'number' ? BigInt(value) : value);

// Our _id values are keys, not ObjectIds; the driver's Filter type cannot tell.
const byId = (id: unknown, more: Document = {}) => ({ _id: id, ...more }) as Filter<Document>;

/**
 * A started sink on a collection of its own, and a plain client that looks at that collection as
 * a reader of the target would: delete markers (documents with `_cdc.deleted`) are not rows.
 */
async function make(options: SinkOptionsUnderTest = {}, extra: Omit<MongoSinkOptions, 'env'> = {}) {
  const collection = `patients_${++collections}`;
  const sink = createMongoSink(
    {
      kind: 'mongodb',
      name: `test-${collection}`,
      topics: ['cdc.public.patients'],
      url: iso.env.MONGO_URL,
      database: iso.mongoDatabase(),
      collection,
      delete_retention_ms: options.deleteRetentionMs ?? 600_000,
      conflict: {
        policy: options.policy ?? 'source_wins',
        ...(options.timestampField ? { timestamp_field: options.timestampField } : {}),
      },
    },
    extra,
  );
  await sink.start();
  const target = reader.db(iso.mongoDatabase()).collection(collection);
  const handle: SinkHandle = {
    sink,
    read: async (id) => {
      const doc = await target.findOne(byId(id, { '_cdc.deleted': { $ne: true } }));
      if (!doc) return null;
      const row = Object.fromEntries(
        Object.entries(doc).filter(([field]) => field !== '_id' && field !== '_cdc'),
      );
      return {
        ...row,
        id: toBigInt(row.id),
        visits: typeof row.visits === 'bigint' ? Number(row.visits) : row.visits,
      };
    },
    editDirectly: async (id, changes) => {
      await target.updateOne(byId(id), { $set: changes });
    },
    exists: async (id) => (await target.countDocuments(byId(id))) > 0,
    close: () => sink.close(),
  };
  return { ...handle, target };
}

sinkConformance('mongodb', undefined, { make: (options) => make(options) });

function truncate(lsn: bigint): SinkEvent {
  return {
    ...event('c', 0),
    op: 't',
    key: {},
    before: null,
    after: null,
    version: { commitLsn: lsn, seq: 0n },
  };
}

function keyed(op: 'c' | 'u' | 'd', key: Record<string, unknown>, row: SinkRow = {}): SinkEvent {
  const base = event(op, 0);
  return {
    ...base,
    key,
    before: op === 'd' ? { ...key } : null,
    after: op === 'd' ? null : { ...key, ...row },
  };
}

describe('mongodb sink', () => {
  it('reads once and writes once per batch, whatever the mix of events', async () => {
    const commands: string[] = [];
    const monitored = new MongoClient(iso.env.MONGO_URL, { useBigInt64: true, monitorCommands: true });
    monitored.on('commandStarted', (e: CommandStartedEvent) => commands.push(e.commandName));
    const counted = createMongoSink(
      {
        kind: 'mongodb',
        name: 'counted',
        topics: ['t'],
        database: iso.mongoDatabase(),
        collection: `counted_${++collections}`,
      },
      { client: monitored },
    );
    try {
      await counted.start();
      await counted.write([event('c', 1, { name: 'a' }), event('c', 2, { name: 'b' })]);
      commands.length = 0;
      const outcomes = await counted.write([
        ...Array.from({ length: 30 }, (_, i) => event('c', 10 + i, { name: `n${i}` })),
        event('u', 1, { name: 'a2' }),
        event('d', 2),
        event('u', 10, { name: 'n0b' }),
      ]);
      expect(outcomes.every((o) => o.kind === 'written')).toBe(true);
      // One bulkWrite: the driver sends its new documents as one insert, the rest as one update.
      expect(commands.sort()).toEqual(['find', 'insert', 'update']);
      commands.length = 0;
      await counted.write([event('u', 10, { name: 'n0c' }), event('u', 11, { name: 'n1b' })]);
      expect(commands.sort()).toEqual(['find', 'update']);
    } finally {
      await counted.close();
      await monitored.close();
    }
  });

  it('writes the selected columns under their new names, and always the key', async () => {
    const collection = `mapped_${++collections}`;
    const sink = createMongoSink({
      kind: 'mongodb',
      name: 'mapped',
      topics: ['t'],
      url: iso.env.MONGO_URL,
      database: iso.mongoDatabase(),
      collection,
      fields: { select: ['name', 'email'], rename: { email: 'contact_email' } },
    });
    await sink.start();
    try {
      await sink.write([
        event('c', 1, { name: 'Ada', email: 'ada@example.org', notes: 'secret', visits: 3 }),
      ]);
      const doc = await reader.db(iso.mongoDatabase()).collection(collection).findOne({});
      expect(doc).toMatchObject({ _id: 1n, id: 1n, name: 'Ada', contact_email: 'ada@example.org' });
      expect(doc).not.toHaveProperty('notes');
      expect(doc).not.toHaveProperty('visits');
      expect(doc).not.toHaveProperty('email');
    } finally {
      await sink.close();
    }
  });

  it('keys a document by all its key columns', async () => {
    const { sink, target, close } = await make();
    try {
      const outcomes = await sink.write([
        keyed('c', { tenant: 'a', id: 1n }, { name: 'Ada' }),
        keyed('c', { tenant: 'b', id: 1n }, { name: 'Bob' }),
        keyed('u', { tenant: 'a', id: 1n }, { name: 'Ada L.' }),
        keyed('d', { tenant: 'b', id: 1n }),
      ]);
      expect(outcomes.map((o) => o.kind)).toEqual(['written', 'written', 'written', 'written']);
      expect(await target.findOne(byId({ tenant: 'a', id: 1n }))).toMatchObject({
        tenant: 'a',
        name: 'Ada L.',
      });
      expect(await target.findOne(byId({ tenant: 'b', id: 1n }))).toMatchObject({ _cdc: { deleted: true } });
    } finally {
      await close();
    }
  });

  it('truncates: older rows go, older replays stay out, newer rows come in', async () => {
    const { sink, read, target, close } = await make();
    try {
      const before = [event('c', 1, { name: 'a' }), event('c', 2, { name: 'b' })];
      await sink.write(before);
      const cut = truncate(event('c', 0).version.commitLsn);
      const after = event('c', 3, { name: 'c' });
      expect((await sink.write([cut, after])).map((o) => o.kind)).toEqual(['written', 'written']);
      expect(await read(1n)).toBeNull();
      expect(await read(2n)).toBeNull();
      expect((await read(3n))?.name).toBe('c');
      expect(await sink.write(before)).toEqual([{ kind: 'stale' }, { kind: 'stale' }]);
      expect(await sink.write([cut])).toEqual([{ kind: 'stale' }]);
      expect(await target.countDocuments({ '_cdc.deleted': { $ne: true } })).toBe(1);
      expect(await target.countDocuments(byId(TRUNCATE_MARKER_ID))).toBe(1);
    } finally {
      await close();
    }
  });

  it('fails an event whose column cannot be a field name, and writes the rest', async () => {
    const { sink, read, close } = await make();
    try {
      const bad = { ...event('c', 1), after: { id: 1n, 'a.b': 1 } };
      const outcomes = await sink.write([bad, event('c', 2, { name: 'b' })]);
      expect(outcomes[0]).toMatchObject({
        kind: 'failed',
        reason: expect.stringContaining('a.b') as unknown,
      });
      expect(outcomes[1]).toEqual({ kind: 'written' });
      expect((await read(2n))?.name).toBe('b');
    } finally {
      await close();
    }
  });

  it('measures one batch of 1000 upserts', { timeout: 300_000 }, async () => {
    const { sink, close } = await make();
    try {
      const batch = Array.from({ length: 1000 }, (_, i) =>
        event('c', i + 1, { name: `patient ${i}`, email: `p${i}@example.org`, visits: i }),
      );
      const started = performance.now();
      const outcomes = await sink.write(batch);
      const seconds = (performance.now() - started) / 1000;
      expect(outcomes.every((o) => o.kind === 'written')).toBe(true);
      console.log(
        `[mongo-sink] 1000 upserts in one batch: ${seconds.toFixed(2)} s, ${(1000 / seconds).toFixed(0)} events/s`,
      );
    } finally {
      await close();
    }
  });
});

describe('mongodb sink: server unreachable', () => {
  it('fails start() as retriable when nothing listens', async () => {
    const port = await closedPort();
    const sink = createMongoSink(
      { kind: 'mongodb', name: 'away', topics: ['t'], url: `mongodb://127.0.0.1:${port}`, database: 'x' },
      { serverSelectionTimeoutMs: 1500 },
    );
    try {
      const error = await sink.start().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CdcError);
      expect(error).toMatchObject({ retriable: true });
    } finally {
      await sink.close();
    }
  });

  it('fails a batch as retriable when the server goes away, and writes again when it is back', async () => {
    const target = new URL(iso.env.MONGO_URL);
    const proxy = await tcpProxy(target.hostname, Number(target.port));
    const sink = createMongoSink(
      {
        kind: 'mongodb',
        name: 'flaky',
        topics: ['t'],
        url: `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
        database: iso.mongoDatabase(),
        collection: `flaky_${++collections}`,
      },
      { serverSelectionTimeoutMs: 1500 },
    );
    try {
      await sink.start();
      expect(await sink.write([event('c', 1, { name: 'a' })])).toEqual([{ kind: 'written' }]);
      proxy.pause();
      const error = await sink.write([event('c', 2, { name: 'b' })]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CdcError);
      expect(error).toMatchObject({ retriable: true });
      proxy.resume();
      await expect
        .poll(
          () =>
            sink.write([event('c', 3, { name: 'c' })]).then(
              (o) => o[0]?.kind,
              () => 'error',
            ),
          {
            timeout: 20_000,
            interval: 500,
          },
        )
        .toBe('written');
    } finally {
      await sink.close();
      await proxy.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP relay that can drop every connection and refuse new ones, as a server going away. */
async function tcpProxy(host: string, port: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    pause: () => {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    resume: () => {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
