import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { CdcError } from '../errors.ts';

/** Offsets `from` (included) to `to` (excluded) of one partition. */
export interface PartitionRange {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

export interface ReadRecord {
  readonly partition: number;
  readonly message: KafkaMessage;
}

export interface ReadRangeOptions {
  /** Stop once this many records are in hand. */
  readonly limit?: number;
  /** Give up when no batch arrived for this long (a broker that went away). Default 20 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Which records of a batch to keep (default: all), so that a search through a whole topic holds
   * only what it looks for; `limit` counts kept records. Asked once per batch, which lets it load
   * what decoding the batch needs (registry schemas) in one go.
   */
  readonly keep?: (records: readonly ReadRecord[]) => readonly ReadRecord[] | Promise<readonly ReadRecord[]>;
  /** Told after each batch how many offsets of the ranges have been read so far (for progress). */
  readonly onProgress?: (readOffsets: number) => void;
}

/**
 * Reads committed records of the given ranges of one topic and returns them by partition and
 * offset. kafkajs has no manual assignment, so a throwaway consumer group is used, seeked to the
 * start of each range, never committed, and deleted afterwards. Progress is followed through the
 * batch-end events rather than the messages: those also report batches that held only
 * transaction markers or aborted records, which is how a range that ends in a marker is finished.
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  options: ReadRangeOptions = {},
): Promise<ReadRecord[]> {
  const wanted = new Map(
    ranges.filter((r) => BigInt(r.from) < BigInt(r.to)).map((r) => [r.partition, r] as const),
  );
  if (wanted.size === 0 || options.limit === 0) return [];
  const groupId = `cdc-ops.read.${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  const records: ReadRecord[] = [];
  const idleMs = options.idleTimeoutMs ?? 20_000;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const unfinished = new Set(wanted.keys());
      let idle: NodeJS.Timeout | undefined;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          reject(
            new CdcError('READ_TIMEOUT', `reading ${topic} stalled: no records for ${idleMs} ms`, {
              retriable: true,
              fix: 'check that Kafka is reachable, then run the command again',
            }),
          );
        }, idleMs);
      };
      const finish = () => {
        clearTimeout(idle);
        resolve();
      };
      armIdle();
      const reached = new Map<number, bigint>();
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic !== topic) return;
        armIdle();
        const range = wanted.get(payload.partition);
        if (range && options.onProgress) {
          const end = BigInt(payload.lastOffset) + 1n;
          const to = BigInt(range.to);
          reached.set(payload.partition, (end < to ? end : to) - BigInt(range.from));
          let read = 0n;
          for (const count of reached.values()) read += count > 0n ? count : 0n;
          options.onProgress(Number(read));
        }
        if (range && BigInt(payload.lastOffset) + 1n >= BigInt(range.to))
          unfinished.delete(payload.partition);
        if (unfinished.size === 0) finish();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = wanted.get(batch.partition);
            if (!range) return;
            const inRange: ReadRecord[] = [];
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < BigInt(range.from) || offset >= BigInt(range.to)) continue;
              inRange.push({ partition: batch.partition, message });
            }
            let kept: readonly ReadRecord[] = inRange;
            try {
              if (options.keep) kept = await options.keep(inRange);
            } catch (error) {
              // Not thrown to kafkajs, which would fetch the batch again and again.
              return reject(error instanceof Error ? error : new Error(String(error)));
            }
            for (const record of kept) {
              records.push(record);
              if (options.limit !== undefined && records.length >= options.limit) return finish();
            }
          },
        })
        .catch(reject);
      const others = ranges.map((r) => r.partition).filter((p) => !wanted.has(p));
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      for (const range of wanted.values())
        consumer.seek({ topic, partition: range.partition, offset: range.from });
    });
  } finally {
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
  return records
    .sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)))
    .slice(0, options.limit);
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group without offsets expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
