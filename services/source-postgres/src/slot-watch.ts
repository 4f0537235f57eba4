import pg from 'pg';
import { slotPositions, type SlotPositions } from '@cdc/core';

/**
 * Reads the slot's positions for the metrics, on a connection of its own: the stream's catalog
 * connection exists only while it streams, and the slot's lag matters most when it does not
 * (Kafka away: the slot holds WAL back). A pool of one, made at the first read and closed with
 * the source; a read that fails (the server away) gives undefined, quickly, and never throws.
 */
export class SlotWatch {
  readonly #url: string;
  readonly #slot: string;
  #pool: pg.Pool | undefined;
  #closed = false;

  constructor(url: string, slot: string) {
    this.#url = url;
    this.#slot = slot;
  }

  async positions(): Promise<SlotPositions | undefined> {
    if (this.#closed) return undefined;
    this.#pool ??= this.#open();
    try {
      return await slotPositions(this.#pool, this.#slot);
    } catch {
      return undefined; // a scrape must not fail with the database: the gauges keep their last values
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool?.end().catch(() => undefined);
    this.#pool = undefined;
  }

  #open(): pg.Pool {
    const pool = new pg.Pool({
      connectionString: this.#url,
      max: 1,
      connectionTimeoutMillis: 2_000,
      query_timeout: 2_000,
      idleTimeoutMillis: 60_000,
      application_name: 'cdc-source-metrics',
    });
    // An idle connection the server drops emits 'error' on the pool; unheard, it would end the process.
    pool.on('error', () => undefined);
    return pool;
  }
}
