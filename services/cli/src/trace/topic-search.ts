import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { readRanges, schemaIdIn, type PartitionRange, type RegistryCodec, type SinkRow } from '@cdc/core';
import { keyMatches, type WantedKey } from './trace-arguments.ts';
import type { ScanProgress } from './scan-progress.ts';

/** A record whose key is the wanted one. */
export interface KeyedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** The decoded message key. */
  readonly key: SinkRow;
}

export interface SearchResult {
  readonly topic: string;
  /** False for a topic nobody has written yet (a dead-letter topic without dead letters). */
  readonly exists: boolean;
  /** How many partitions were read. */
  readonly partitions: number;
  readonly records: readonly KeyedRecord[];
  /** The fields of the topic's keys (from the first one decoded), to word a key not found. */
  readonly keyFields: readonly string[];
}

export interface SearchOptions {
  /** Read from the first record at or after this time (epoch ms); default: from the beginning. */
  readonly sinceMs: number | null;
  readonly progress: ScanProgress;
}

/**
 * Finds a key's records in topics: each partition read from its start (or from --since) to its
 * current end with core's readRanges (a throwaway group that never commits, deleted after; only
 * committed records), every key decoded with the registry and compared as text. Only matching
 * records are kept, so a whole topic costs its reading time, not its size in memory.
 */
export class TopicSearch {
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #codec: RegistryCodec;
  readonly #wanted: WantedKey;
  readonly #options: SearchOptions;
  readonly #existing: ReadonlySet<string>;

  constructor(
    kafka: Kafka,
    admin: Admin,
    codec: RegistryCodec,
    wanted: WantedKey,
    existing: ReadonlySet<string>,
    options: SearchOptions,
  ) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#codec = codec;
    this.#wanted = wanted;
    this.#existing = existing;
    this.#options = options;
  }

  /** The key's records in `topic`, on the given partitions only (default: all). */
  async find(topic: string, partitions?: readonly number[]): Promise<SearchResult> {
    if (!this.#existing.has(topic))
      return { topic, exists: false, partitions: 0, records: [], keyFields: [] };
    const ranges = await this.#ranges(topic, partitions);
    const total = ranges.reduce((sum, r) => sum + Number(BigInt(r.to) - BigInt(r.from)), 0);
    const onProgress = this.#options.progress.track(topic, total);
    let keyFields: string[] | undefined;
    const keys = new WeakMap<KafkaMessage, SinkRow>();
    const records = await readRanges(this.#kafka, topic, ranges, {
      onProgress,
      keep: async (batch) => {
        await this.#codec.load(batch.flatMap(({ message }) => idOf(message.key)));
        return batch.filter(({ message }) => {
          const key = this.#decodeKey(message.key);
          if (!key) return false;
          keyFields ??= Object.keys(key);
          if (!keyMatches(this.#wanted, key)) return false;
          keys.set(message, key);
          return true;
        });
      },
    });
    onProgress(total);
    return {
      topic,
      exists: true,
      partitions: ranges.length,
      records: records.map(({ partition, message }) => ({
        topic,
        partition,
        message,
        key: keys.get(message) ?? {},
      })),
      keyFields: keyFields ?? [],
    };
  }

  async #ranges(topic: string, only: readonly number[] | undefined): Promise<PartitionRange[]> {
    const watermarks = await this.#admin.fetchTopicOffsets(topic);
    const { sinceMs } = this.#options;
    const byTime = sinceMs === null ? [] : await this.#admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
    return watermarks
      .filter((w) => only === undefined || only.includes(w.partition))
      .map(({ partition, low, high }) => {
        const at = byTime.find((o) => o.partition === partition)?.offset;
        // kafkajs answers the head for a partition with nothing that recent.
        const from = at !== undefined && BigInt(at) > BigInt(low) ? at : low;
        return { partition, from: BigInt(from) > BigInt(high) ? high : from, to: high };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  /** The key as decoded, or null for one that cannot be (not in the wire format, unknown schema). */
  #decodeKey(bytes: Buffer | null): SinkRow | null {
    if (!bytes) return null;
    try {
      const { value } = this.#codec.decode(bytes);
      return typeof value === 'object' && value !== null ? (value as SinkRow) : null;
    } catch {
      return null; // poison: it has no key to compare, and its dead letter says so
    }
  }
}

function idOf(bytes: Buffer | null): number[] {
  const id = schemaIdIn(bytes);
  return id === null ? [] : [id];
}
