/**
 * The write under way of each partition, so that kafkajs can fetch and the runtime decode a
 * partition's next batch while the current one is still being written. kafkajs fetches again
 * only once every batch it handed out has been handled (node_modules/kafkajs/src/consumer/fetcher.js):
 * writing inside the handler left the target idle for each fetch and each first decode, a fifth
 * of the webhook sink's time (BENCHMARKS.md, sinks). One write per partition at a time, in
 * order: a batch's write starts once the one before it of its partition has settled.
 */
export class PartitionLanes {
  readonly #lanes = new Map<string, Promise<void>>();

  /** Settles once the partition's write under way, if any, has (it never rejects). */
  async previous(topic: string, partition: number): Promise<void> {
    await this.#lanes.get(laneOf(topic, partition));
  }

  /**
   * Starts the partition's next write, after its previous one has settled (the caller waited for
   * it with `previous`). `write` handles its own failures: a rejection is dropped here.
   */
  start(topic: string, partition: number, write: () => Promise<void>): void {
    const lane = laneOf(topic, partition);
    const settled: Promise<void> = write()
      .catch(() => undefined)
      .finally(() => {
        if (this.#lanes.get(lane) === settled) this.#lanes.delete(lane);
      });
    this.#lanes.set(lane, settled);
  }

  /** Settles once every write under way has (those started meanwhile included). */
  async settled(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.all(this.#lanes.values());
  }

  /** Partitions with a write under way. */
  get size(): number {
    return this.#lanes.size;
  }
}

const laneOf = (topic: string, partition: number) => `${partition}:${topic}`;
