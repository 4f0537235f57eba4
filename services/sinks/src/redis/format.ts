import type { ChainableCommander } from 'ioredis';
import { digest, hashFingerprint, type Target, type TargetField } from './record.ts';
import { canonicalJson, hashText, jsonValue, parseJsonDocument } from './values.ts';

export interface Found {
  readonly target: Target | null;
  readonly fingerprint: string;
}

/** What the script writes to the data key, and what the data key then holds. */
export interface DataWrite {
  readonly target: Target | null;
  /** Needed only when another event of the batch follows on the same key: computed on demand. */
  readonly fingerprint: () => string;
  /** hash: field/value pairs to set; json: the document (one entry). */
  readonly set: readonly (string | Buffer)[];
  /** hash: fields to delete. */
  readonly remove: readonly string[];
}

/** How rows are laid out in Redis: everything that differs between a hash and a JSON document. */
export interface RecordFormat {
  readonly kind: 'hash' | 'json';
  /** Queues the read of a data key; its reply goes to found(). */
  queueRead(pipeline: ChainableCommander, key: string): void;
  /** The target and its fingerprint from a read reply; throws when the key holds no usable record. */
  found(reply: unknown): Found;
  /** A column value as a field; null when the field is to be removed. */
  field(name: string, value: unknown): TargetField | null;
  /** The write that turns the data key into `next` (`set`/`removed`: the fields that changed). */
  write(next: Target, set: readonly TargetField[], removed: readonly string[]): DataWrite;
}

export const hashFormat: RecordFormat = {
  kind: 'hash',
  queueRead(pipeline, key) {
    // Buffers: the fingerprint must be taken of the bytes the server holds, not of a decoding.
    pipeline.callBuffer('HGETALL', key);
  },
  found(reply) {
    const flat = reply as Buffer[];
    if (flat.length === 0) return { target: null, fingerprint: '' };
    const target = new Map<string, TargetField>();
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i] as Buffer;
      const raw = flat[i + 1] as Buffer;
      target.set(name.toString(), { name, raw, value: raw.toString() });
    }
    return { target, fingerprint: hashFingerprint(target) };
  },
  field(name, value) {
    const text = hashText(value);
    return text === null ? null : { name, raw: text, value: text };
  },
  write(next, set, removed) {
    // An emptied hash no longer exists in Redis.
    const target = next.size === 0 ? null : next;
    return {
      target,
      fingerprint: () => (target ? hashFingerprint(target) : ''),
      set: set.flatMap((field) => [field.name, field.raw]),
      remove: removed,
    };
  },
};

export const jsonFormat: RecordFormat = {
  kind: 'json',
  queueRead(pipeline, key) {
    pipeline.callBuffer('GET', key);
  },
  found(reply) {
    if (reply === null) return { target: null, fingerprint: '' };
    const bytes = reply as Buffer;
    let document: unknown;
    try {
      document = parseJsonDocument(bytes.toString());
    } catch (error) {
      throw new Error(`the key holds no JSON document (${(error as Error).message})`, { cause: error });
    }
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw new Error('the key holds JSON that is not an object, so it cannot hold a row');
    }
    const target = new Map<string, TargetField>();
    for (const [name, value] of Object.entries(document)) {
      target.set(name, { name, raw: canonicalJson(value), value });
    }
    return { target, fingerprint: digest(bytes) };
  },
  field(name, value) {
    const plain = jsonValue(value);
    return { name, raw: canonicalJson(plain), value: plain };
  },
  write(next) {
    // Field texts are canonical JSON already: the document is their concatenation.
    let document = '{';
    for (const [name, field] of next) {
      if (document.length > 1) document += ',';
      document += `${JSON.stringify(name)}:${field.raw.toString()}`;
    }
    document += '}';
    return { target: next, fingerprint: () => digest(document), set: [document], remove: [] };
  },
};
