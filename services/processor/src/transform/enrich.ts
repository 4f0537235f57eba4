import type { ChainableCommander, Redis } from 'ioredis';
import { CdcError } from '@cdc/core';
import type { Row } from '../row.ts';
import { TransformError } from './errors.ts';
import type { KeyTemplate } from './key-template.ts';
import { LruTtlCache } from './lru.ts';
import type { Op } from './op.ts';
import type { StepOf } from './step-config.ts';

type EnrichStep = StepOf<'enrich'>;

/** The hash fields of one key in output order, or null when the key is missing. */
export type Lookup = readonly (string | null)[] | null;

function appendKeyPart(key: string, value: unknown, literal: string): string {
  return key + String(value) + literal;
}

/**
 * The I/O side of one enrich step, shared by every schema version: its cache and the lookups of
 * the current batch. Keys are built from the input row (the key fields must reach the step
 * unchanged, which compileSteps checks), so a whole batch is looked up before any step runs.
 */
export class Enricher {
  readonly index: number;
  readonly template: KeyTemplate;
  /** The input field behind each template field (they differ when a rename came first). */
  readonly inputFields: readonly string[];
  readonly outputFields: readonly string[];
  readonly hashFields: readonly string[];
  readonly failOnMissing: boolean;
  readonly cache: LruTtlCache<Lookup>;
  // Pinned for the batch being applied, whatever the cache evicts or expires meanwhile.
  #batch = new Map<string, Lookup>();

  constructor(index: number, step: EnrichStep, template: KeyTemplate, inputFields: readonly string[]) {
    this.index = index;
    this.template = template;
    this.inputFields = inputFields;
    this.outputFields = Object.keys(step.fields);
    this.hashFields = Object.values(step.fields);
    this.failOnMissing = step.on_missing === 'fail';
    this.cache = new LruTtlCache(step.cache.max_entries, step.cache.ttl_ms);
  }

  /** The key of an input row, or null when a key field is null (nothing to look up). */
  keyOfInput(row: Row): string | null {
    const { literals } = this.template;
    let key = literals[0] as string;
    for (let i = 0; i < this.inputFields.length; i++) {
      const value = row[this.inputFields[i] as string];
      if (value === null || value === undefined) return null;
      key = appendKeyPart(key, value, literals[i + 1] as string);
    }
    return key;
  }

  /** Starts a batch: the keys found in the cache, and those to fetch. */
  begin(rows: readonly Row[], now: number): string[] {
    const batch = new Map<string, Lookup>();
    const misses: string[] = [];
    for (const row of rows) {
      const key = this.keyOfInput(row);
      if (key === null || batch.has(key)) continue;
      const cached = this.cache.get(key, now);
      if (cached === undefined) {
        misses.push(key);
        // Placeholder so that a key repeated in the batch is fetched once; replaced by finish().
        batch.set(key, null);
      } else {
        batch.set(key, cached);
      }
    }
    this.#batch = batch;
    return misses;
  }

  queue(pipeline: ChainableCommander, key: string): void {
    pipeline.hmget(key, ...this.hashFields);
  }

  finish(key: string, reply: unknown, now: number): void {
    const values = Array.isArray(reply) ? (reply as (string | null)[]) : [];
    // A hash with none of the wanted fields is as good as missing.
    const lookup = values.some((value) => value !== null) ? values : null;
    this.#batch.set(key, lookup);
    this.cache.set(key, lookup, now);
  }

  resolve(key: string): Lookup {
    const lookup = this.#batch.get(key);
    if (lookup !== undefined) return lookup;
    const cached = this.cache.get(key, Date.now());
    if (cached !== undefined) return cached;
    throw new CdcError(
      'ENRICH_NOT_PREPARED',
      `step ${this.index + 1} (enrich): key ${key} was not looked up before apply`,
      { fix: 'call prepare(rows) with the batch of rows before applying the steps to them' },
    );
  }
}

/** One pipelined round trip for every uncached key of every enrich step. */
export async function prepareBatch(
  redis: Redis,
  enrichers: readonly Enricher[],
  rows: readonly Row[],
): Promise<void> {
  const now = Date.now();
  const pending: { enricher: Enricher; key: string }[] = [];
  for (const enricher of enrichers) {
    for (const key of enricher.begin(rows, now)) pending.push({ enricher, key });
  }
  if (pending.length === 0) return;
  const pipeline = redis.pipeline();
  for (const { enricher, key } of pending) enricher.queue(pipeline, key);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw lookupError(error, pending.length);
  }
  if (replies === null) throw lookupError(new Error('the pipeline was discarded'), pending.length);
  const done = Date.now();
  pending.forEach(({ enricher, key }, i) => {
    const [error, reply] = replies[i] ?? [new Error('no reply'), null];
    if (error) throw lookupError(error, pending.length);
    enricher.finish(key, reply, done);
  });
}

function lookupError(cause: unknown, keys: number): CdcError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new CdcError('ENRICH_LOOKUP', `enrichment lookup of ${keys} Redis keys failed: ${message}`, {
    retriable: true,
    fix: 'check that Redis (REDIS_URL) is reachable; the batch is retried',
    cause,
  });
}

/** enrich bound to a schema: builds the key from the row's slots and copies the looked-up fields. */
export class EnrichOp implements Op {
  readonly #enricher: Enricher;
  readonly #keySlots: readonly number[];
  readonly #outputSlots: readonly number[];
  readonly #keyField: string;

  constructor(
    enricher: Enricher,
    keySlots: readonly number[],
    outputSlots: readonly number[],
    keyField: string,
  ) {
    this.#enricher = enricher;
    this.#keySlots = keySlots;
    this.#outputSlots = outputSlots;
    this.#keyField = keyField;
  }

  run(values: unknown[], unchanged: Uint8Array | null): void {
    const { literals } = this.#enricher.template;
    let key = literals[0] as string;
    for (let i = 0; i < this.#keySlots.length; i++) {
      const slot = this.#keySlots[i] as number;
      if (unchanged !== null && unchanged[slot] === 1) {
        this.#fill(values, null, unchanged);
        return;
      }
      const value = values[slot];
      if (value === null || value === undefined) {
        this.#fill(values, null, null);
        return;
      }
      key = appendKeyPart(key, value, literals[i + 1] as string);
    }
    const lookup = this.#enricher.resolve(key);
    if (lookup === null && this.#enricher.failOnMissing) {
      throw new TransformError('enrich', this.#keyField, `no Redis hash at ${key} (on_missing: fail)`);
    }
    this.#fill(values, lookup, null);
  }

  #fill(values: unknown[], lookup: Lookup, unchanged: Uint8Array | null): void {
    for (let i = 0; i < this.#outputSlots.length; i++) {
      const slot = this.#outputSlots[i] as number;
      values[slot] = lookup === null ? null : (lookup[i] ?? null);
      if (unchanged !== null) unchanged[slot] = 1;
    }
  }
}
