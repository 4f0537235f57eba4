import type { Admin, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ExactlyOnceWriter } from './output-writers.ts';
import { producerIsDone, recoverTransaction, unprocessed } from './transaction-recovery.ts';

type State = 'UNINITIALIZED' | 'READY' | 'TRANSACTING' | 'COMMITTING' | 'ABORTING';

/**
 * A transactional producer with kafkajs 2.2.4's state machine (src/producer/eosManager): a
 * request that fails on the way leaves it in COMMITTING or ABORTING, and from there it refuses
 * every further transaction with kafkajs' own message.
 */
class FakeProducer {
  state: State = 'UNINITIALIZED';
  inits = 0;
  disconnected = false;
  readonly fail: { send?: boolean; commit?: boolean; abort?: boolean } = {};
  readonly transactionalId: string;

  constructor(transactionalId: string) {
    this.transactionalId = transactionalId;
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  async transaction() {
    if (this.state === 'TRANSACTING')
      throw new Error('There is already an ongoing transaction for this producer.');
    if (this.state === 'UNINITIALIZED') {
      this.inits += 1;
      this.state = 'READY';
    }
    if (this.state !== 'READY')
      throw new Error(`Transaction state exception: Cannot call "beginTransaction" in state "${this.state}"`);
    this.state = 'TRANSACTING';
    let ended = false;
    const active = () => this.state === 'TRANSACTING' && !ended;
    const guard = () => {
      if (!active()) throw new Error('Cannot continue to use transaction once ended');
    };
    return {
      isActive: active,
      sendBatch: async () => {
        guard();
        if (this.fail.send)
          throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      sendOffsets: async () => guard(),
      commit: async () => {
        guard();
        this.state = 'COMMITTING';
        if (this.fail.commit) throw new Error('Closed connection');
        this.state = 'READY';
        ended = true;
      },
      abort: async () => {
        guard();
        this.state = 'ABORTING';
        if (this.fail.abort) throw new Error('Closed connection');
        this.state = 'READY';
        ended = true;
      },
    };
  }
}

function harness(committed: () => string) {
  const producers: FakeProducer[] = [];
  const kafka = {
    producer: (config: { transactionalId: string }) => {
      const producer = new FakeProducer(config.transactionalId);
      producers.push(producer);
      return producer;
    },
  } as unknown as Kafka;
  const admin = {
    fetchOffsets: async () => [
      { topic: 'in', partitions: [{ partition: 0, offset: committed(), metadata: null }] },
    ],
  } as unknown as Admin;
  const writer = new ExactlyOnceWriter(kafka, admin, 'g', 'in');
  const batch = { topic: 'in', partition: 0, next: '50', requests: [[{ topic: 'out', messages: [] }]] };
  return { producers, writer, batch };
}

describe('recoverTransaction (kafkajs 2.2.4 semantics)', () => {
  it('aborts a transaction that is still open, and keeps the producer', async () => {
    const producer = new FakeProducer('t');
    producer.fail.send = true;
    const transaction = await producer.transaction();
    const error = await transaction.sendBatch().catch((e: unknown) => e);
    expect(await recoverTransaction(transaction, error)).toBe('aborted');
    expect(producer.state).toBe('READY');
  });

  it('replaces a producer stuck mid-commit or mid-abort, or fenced', async () => {
    const committing = new FakeProducer('t');
    committing.fail.commit = true;
    const broken = await committing.transaction();
    const error = await broken.commit().catch((e: unknown) => e);
    expect(await recoverTransaction(broken, error)).toBe('replace-producer');
    // What the validator printed before this existed: the producer can never transact again.
    await expect(committing.transaction()).rejects.toThrow(
      'Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"',
    );

    const aborting = new FakeProducer('t');
    aborting.fail.send = true;
    aborting.fail.abort = true;
    const open = await aborting.transaction();
    expect(await recoverTransaction(open, await open.sendBatch().catch((e: unknown) => e))).toBe(
      'replace-producer',
    );

    const fenced = new FakeProducer('t');
    const active = await fenced.transaction();
    const epoch = Object.assign(new Error('Producer attempted an operation with an old epoch'), {
      type: 'INVALID_PRODUCER_EPOCH',
    });
    expect(await recoverTransaction(active, epoch)).toBe('replace-producer');
    expect(producerIsDone(new Error('x', { cause: epoch }))).toBe(true);
  });
});

describe('ExactlyOnceWriter', () => {
  it('settles each partition once per assignment: a new producer initialised before the offset is read', async () => {
    const { producers, writer } = harness(() => '42');
    expect(await writer.settle('in', 0)).toBe(42n);
    expect(producers.map((p) => [p.transactionalId, p.inits, p.state])).toEqual([['g.in.0', 1, 'READY']]);
    expect(await writer.settle('in', 0)).toBeUndefined(); // the consumer's position can be trusted
    writer.reassigned();
    expect(await writer.settle('in', 0)).toBe(42n);
    expect(producers).toHaveLength(2);
    expect(producers[0]?.disconnected).toBe(true);
  });

  it('after a commit whose outcome is unknown, replaces the producer and reads the offset again', async () => {
    let committed = '0';
    const { producers, writer, batch } = harness(() => committed);
    await writer.settle('in', 0);
    producers[0]!.fail.commit = true;
    await expect(writer.write(batch)).rejects.toThrow('Closed connection');
    committed = '50'; // the broker completed that commit after all
    expect(await writer.settle('in', 0)).toBe(50n);
    expect(producers).toHaveLength(2);
    expect(producers[0]?.disconnected).toBe(true);
    await writer.write(batch); // the new producer transacts
    expect(producers[1]?.state).toBe('READY');
  });

  it('keeps the producer when the failed transaction could be aborted', async () => {
    const { producers, writer, batch } = harness(() => '0');
    await writer.settle('in', 0);
    producers[0]!.fail.send = true;
    await expect(writer.write(batch)).rejects.toThrow('ECONNREFUSED');
    expect(await writer.settle('in', 0)).toBeUndefined();
    producers[0]!.fail.send = false;
    await writer.write(batch);
    expect(producers).toHaveLength(1);
  });
});

describe('unprocessed', () => {
  it('leaves out what a transaction we did not see end committed', () => {
    const messages = ['5', '6', '7'].map((offset) => ({ offset }));
    expect(unprocessed(messages, undefined)).toBe(messages);
    expect(unprocessed(messages, 5n).map((m) => m.offset)).toEqual(['5', '6', '7']);
    expect(unprocessed(messages, 7n).map((m) => m.offset)).toEqual(['7']);
    expect(unprocessed(messages, 8n)).toEqual([]);
  });
});
