import type { ChainableCommander, Redis } from 'ioredis';
import {
  CdcError,
  errorMessage,
  parseVersionText,
  versionText,
  type EventVersion,
  type Sink,
  type SinkEvent,
  type SinkRow,
  type VerifiableSink,
  type WriteOutcome,
} from '@cdc/core';
import { parseBookkeeping } from './bookkeeping.ts';
import { RedisTarget, createClient, sinkUrl } from './client.ts';
import { parseRedisSinkConfig, type RedisSinkConfig, type RedisSinkInput } from './config.ts';
import { isNoScript, isRefusal, unavailable } from './errors.ts';
import { hashFormat, jsonFormat } from './format.ts';
import { bookkeepingKey, parseKeyTemplate, recordKey, type KeyTemplate } from './key-template.ts';
import { plan, type Decision, type PlanSettings } from './plan.ts';
import type { RecordState } from './record.ts';
import { WRITE_SCRIPT, type ScriptReply } from './script.ts';
import { projectRow, scanRecords } from './verify.ts';

export interface RedisSinkOptions {
  /** A client to use instead of one made from the url; its owner closes it. */
  readonly redis?: Redis;
  /** Where the url falls back to REDIS_URL; default process.env. */
  readonly env?: Record<string, string | undefined>;
  /** The setting the url comes from, for messages (e.g. "sinks[0].url, or REDIS_URL"). */
  readonly setting?: string;
}

export const TRUNCATE_REASON =
  'truncate is not supported by the Redis sink: Redis has no table to empty, and deleting keys by ' +
  'pattern would race with the writes of other partitions; delete the keys of the table yourself ' +
  "(redis-cli --scan --pattern '<key prefix>*' | xargs redis-cli unlink) once the sink has caught up";

/** Reads and writes until every event has an outcome; more means keys keep changing under us. */
const MAX_ROUNDS = 5;

/**
 * Before reading records again that another writer changed between our read and our write (a
 * second sink on the same keys, a person): a random pause, longer each round (up to 2, 4, 8, 16
 * ms), so that two writers do not keep colliding in step.
 */
function contentionPause(round: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** (round - 1)));
}

interface Pending {
  readonly index: number;
  readonly event: SinkEvent;
  readonly key: string;
  readonly version: string;
}

type Reply = ScriptReply | Error;

/**
 * Writes change events to Redis, each row one hash (or JSON string) with a bookkeeping hash
 * beside it. A batch is one pipelined read of the records it touches, decisions made here, and one
 * pipelined round of the write script, which applies each write only if its record is still as
 * read; the few that are not are read and decided again.
 */
export class RedisSink implements Sink, VerifiableSink {
  readonly name: string;
  readonly config: RedisSinkConfig;
  readonly #redis: Redis;
  readonly #ownsClient: boolean;
  readonly #where: RedisTarget;
  readonly #template: KeyTemplate | undefined;
  readonly #settings: PlanSettings;
  #sha: string | undefined;

  constructor(config: RedisSinkConfig, options: RedisSinkOptions = {}) {
    this.name = config.name;
    this.config = config;
    const url = sinkUrl(config.url, options.env ?? process.env);
    this.#ownsClient = options.redis === undefined;
    this.#redis = options.redis ?? createClient(url);
    this.#where = new RedisTarget(url, options.setting, this.#redis);
    // Connection errors reach us through the commands; unheard, ioredis would print each one.
    if (this.#ownsClient) this.#redis.on('error', () => {});
    const template = config.key === undefined ? undefined : parseKeyTemplate(config.key);
    if (typeof template === 'string') {
      throw new CdcError('INVALID_CONFIG', `sink ${config.name}: key ${template}`, {
        fix: "write the key as a template such as 'patient:{id}'",
      });
    }
    this.#template = template;
    this.#settings = {
      format: config.format === 'json' ? jsonFormat : hashFormat,
      policy: config.conflict.policy,
      timestampField: config.conflict.timestamp_field,
      ttlSeconds: config.ttl_seconds,
      deleteRetentionMs: config.delete_retention_ms,
    };
  }

  async start(): Promise<void> {
    if (this.#redis.status === 'wait') {
      try {
        await this.#redis.connect();
      } catch (error) {
        throw unavailable(this.#where, error);
      }
    }
    this.#sha = await this.#load();
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const outcomes = new Array<WriteOutcome | undefined>(events.length);
    let pending: Pending[] = [];
    events.forEach((event, index) => {
      if (event.op === 't') {
        outcomes[index] = { kind: 'failed', reason: TRUNCATE_REASON };
        return;
      }
      const found = recordKey(this.#template, event);
      if ('reason' in found) outcomes[index] = { kind: 'failed', reason: found.reason };
      else pending.push({ index, event, key: found.key, version: versionText(event.version) });
    });
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_ROUNDS) {
        throw new CdcError(
          'REDIS_CONTENDED',
          `sink ${this.name}: ${pending.length} records changed between read and write ${MAX_ROUNDS} times in a row`,
          {
            retriable: true,
            fix: 'make sure no other writer rewrites these keys continuously; the batch is retried',
            details: { keys: [...new Set(pending.map((item) => item.key))].slice(0, 10) },
          },
        );
      }
      if (round > 1) await contentionPause(round);
      pending = await this.#round(pending, outcomes);
    }
    return outcomes as WriteOutcome[];
  }

  async close(): Promise<void> {
    if (!this.#ownsClient) return;
    if (this.#redis.status !== 'ready') {
      this.#redis.disconnect();
      return;
    }
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  /** The version in the row's bookkeeping hash (`v`, a delete marker's too); null without one. */
  async versionOf(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null> {
    const found = recordKey(this.#template, row);
    if ('reason' in found) return null; // such a row is never written: its events are dead letters
    if (this.#redis.status === 'wait') {
      try {
        await this.#redis.connect();
      } catch (error) {
        throw unavailable(this.#where, error);
      }
    }
    let version: string | null;
    try {
      version = await this.#redis.hget(bookkeepingKey(found.key), 'v');
    } catch (error) {
      throw unavailable(this.#where, error);
    }
    return version === null ? null : parseVersionText(version);
  }

  scan(_table: {
    readonly schema: string;
    readonly name: string;
  }): AsyncIterable<{ key: SinkRow; row: SinkRow }> {
    return scanRecords(this.#redis, this.#template, this.#settings.format.kind);
  }

  project(row: SinkRow): SinkRow {
    return projectRow(row, this.#settings.format.kind);
  }

  /** One read, decisions, one write; returns the events whose records moved meanwhile. */
  async #round(pending: readonly Pending[], outcomes: (WriteOutcome | undefined)[]): Promise<Pending[]> {
    const records = await this.#read([...new Set(pending.map((item) => item.key))]);
    const decisions: Decision[] = [];
    const writes: number[] = [];
    for (const [i, item] of pending.entries()) {
      const record = records.get(item.key) as RecordState | string;
      const decision: Decision =
        typeof record === 'string'
          ? { kind: 'failed', reason: record }
          : plan(item.event, item.version, record, this.#settings);
      decisions.push(decision);
      if (decision.kind === 'write') {
        writes.push(i);
        records.set(item.key, decision.next);
      }
    }
    const replies = await this.#apply(
      writes.map((i) => ({
        key: (pending[i] as Pending).key,
        args: (decisions[i] as Extract<Decision, { kind: 'write' }>).args,
      })),
    );

    const retry: Pending[] = [];
    // Keys whose record did not become what later decisions assumed: those decisions are void.
    const unsettled = new Set<string>();
    let w = 0;
    for (const [i, item] of pending.entries()) {
      const decision = decisions[i] as Decision;
      if (decision.kind !== 'write') {
        if (unsettled.has(item.key)) retry.push(item);
        else outcomes[item.index] = decision;
        continue;
      }
      const reply = replies[w++] as Reply;
      if (reply === 'moved') {
        unsettled.add(item.key);
        retry.push(item);
      } else if (reply === 'stale') {
        outcomes[item.index] = { kind: 'stale' };
      } else if (reply === 'ok') {
        outcomes[item.index] = decision.conflict
          ? { kind: 'written', conflict: decision.conflict }
          : { kind: 'written' };
      } else {
        unsettled.add(item.key);
        outcomes[item.index] = {
          kind: 'failed',
          reason: `Redis refused the write of ${item.key}: ${errorMessage(reply)}`,
          ...(decision.conflict ? { conflict: decision.conflict } : {}),
        };
      }
    }
    return retry;
  }

  /** The records of these keys as Redis holds them, or why one cannot be read. */
  async #read(keys: readonly string[]): Promise<Map<string, RecordState | string>> {
    const { format } = this.#settings;
    const pipeline = this.#redis.pipeline();
    for (const key of keys) {
      format.queueRead(pipeline, key);
      pipeline.hgetall(bookkeepingKey(key));
    }
    const results = await this.#exec(pipeline);
    const records = new Map<string, RecordState | string>();
    keys.forEach((key, k) => {
      const [dataError, data] = results[2 * k] ?? [];
      const [bookError, book] = results[2 * k + 1] ?? [];
      const error = dataError ?? bookError;
      if (error) {
        if (!isRefusal(error)) throw unavailable(this.#where, error);
        records.set(key, `Redis refused to read ${key}: ${error.message}`);
        return;
      }
      const bookkeeping = parseBookkeeping(book as Record<string, string>);
      if (typeof bookkeeping === 'string') {
        records.set(key, `cannot write ${key}: ${bookkeeping}`);
        return;
      }
      try {
        records.set(key, { ...bookkeeping, ...format.found(data) });
      } catch (problem) {
        records.set(key, `cannot write ${key}: ${errorMessage(problem)}`);
      }
    });
    return records;
  }

  async #apply(writes: readonly { key: string; args: readonly (string | Buffer)[] }[]): Promise<Reply[]> {
    if (writes.length === 0) return [];
    const sha = (this.#sha ??= await this.#load());
    const pipeline = this.#redis.pipeline();
    for (const { key, args } of writes) pipeline.evalsha(sha, 2, key, bookkeepingKey(key), ...args);
    const results = await this.#exec(pipeline);
    return results.map(([error, reply]) => {
      if (!error) return reply as ScriptReply;
      if (isNoScript(error)) {
        // Flushed or restarted: load it again and read those records again.
        this.#sha = undefined;
        return 'moved';
      }
      if (isRefusal(error)) return error;
      throw unavailable(this.#where, error);
    });
  }

  async #exec(pipeline: ChainableCommander): Promise<[Error | null, unknown][]> {
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw unavailable(this.#where, error);
    }
    if (results === null) throw unavailable(this.#where, new Error('the pipeline was discarded'));
    return results;
  }

  async #load(): Promise<string> {
    try {
      return (await this.#redis.script('LOAD', WRITE_SCRIPT)) as string;
    } catch (error) {
      throw unavailable(this.#where, error);
    }
  }
}

/** A Redis sink from its `sinks:` entry (validated here; url defaults to REDIS_URL). */
export function createRedisSink(config: RedisSinkInput, options: RedisSinkOptions = {}): RedisSink {
  return new RedisSink(parseRedisSinkConfig(config), options);
}
