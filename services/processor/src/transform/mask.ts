import { createHash, type Hash } from 'node:crypto';
import { CdcError } from '@cdc/core';
import type { ValueKind } from './avro-kind.ts';
import { InPlaceOp } from './op.ts';
import type { StepOf } from './step-config.ts';

type MaskStep = StepOf<'mask'>;
type Env = Record<string, string | undefined>;

const DEFAULT_TEXT = '[redacted]';
const DEFAULT_KEEP_LAST = 4;
const SCALAR_KINDS: readonly ValueKind[] = [
  'string',
  'int',
  'long',
  'float',
  'double',
  'boolean',
  'bytes',
  'decimal',
  'uuid',
  'enum',
  'date',
  'time-micros',
  'timestamp-micros',
  'local-timestamp-micros',
];
const PARTIAL_KINDS: readonly ValueKind[] = ['string', 'int', 'long', 'decimal', 'uuid', 'enum'];

/** A mask's runtime settings, resolved once at start-up (the salt read from the environment). */
export interface Masker {
  readonly method: MaskStep['method'];
  mask(value: unknown): string | null;
}

const SHA256_BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) with both padded keys hashed once: copying a hash that has absorbed
 * them is cheaper than createHmac, which derives them again for every value.
 */
class HashMasker implements Masker {
  readonly method = 'hash';
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(salt: string) {
    let key = Buffer.from(salt);
    if (key.length > SHA256_BLOCK) key = createHash('sha256').update(key).digest();
    const block = Buffer.alloc(SHA256_BLOCK);
    key.copy(block);
    this.#inner = createHash('sha256').update(block.map((byte) => byte ^ 0x36));
    this.#outer = createHash('sha256').update(block.map((byte) => byte ^ 0x5c));
  }

  // Buffers hash their bytes; everything else its text, so equal values hash alike across types of a column.
  mask(value: unknown): string {
    const input = Buffer.isBuffer(value) ? value : String(value);
    return this.#outer.copy().update(this.#inner.copy().update(input).digest()).digest('hex');
  }
}

class RedactMasker implements Masker {
  readonly method = 'redact';
  readonly #text: string | null;

  constructor(text: string | null) {
    this.#text = text;
  }

  mask(): string | null {
    return this.#text;
  }
}

class PartialMasker implements Masker {
  readonly method = 'partial';
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
  }

  // Counted in code points so that no emoji is cut in half; values no longer than what would be
  // kept are masked entirely, since showing them whole would defeat the mask.
  mask(value: unknown): string {
    const chars = Array.from(String(value));
    if (chars.length <= this.#keep) return '*'.repeat(chars.length);
    return '*'.repeat(chars.length - this.#keep) + chars.slice(chars.length - this.#keep).join('');
  }
}

/** Refuses to start when a hash's salt is missing: hashing with an empty salt is reversible by lookup tables. */
export function createMasker(step: MaskStep, index: number, env: Env): Masker {
  switch (step.method) {
    case 'hash': {
      const name = step.salt_env ?? '';
      const salt = env[name];
      if (salt === undefined || salt === '') {
        throw new CdcError(
          'INVALID_CONFIG',
          `step ${index + 1} (mask) of ${step.field}: the environment variable ${name} holding the hash salt is not set`,
          {
            fix: `set ${name} to a long random secret (e.g. openssl rand -hex 32) in the transformer's environment`,
          },
        );
      }
      return new HashMasker(salt);
    }
    case 'redact':
      return new RedactMasker(step.to_null === true ? null : (step.text ?? DEFAULT_TEXT));
    case 'partial':
      return new PartialMasker(step.keep_last ?? DEFAULT_KEEP_LAST);
  }
}

/** Checks a mask against its field's kind: the problem in plain words, or undefined. */
export function maskProblem(method: MaskStep['method'], kind: ValueKind): string | undefined {
  if (method === 'hash' && !SCALAR_KINDS.includes(kind)) return `hash needs a single value, not ${kind}`;
  if (method === 'partial' && !PARTIAL_KINDS.includes(kind)) {
    return `partial works on text and whole numbers, not ${kind}`;
  }
  return undefined;
}

export class MaskOp extends InPlaceOp {
  readonly kind = 'mask';
  readonly #masker: Masker;

  constructor(slot: number, field: string, masker: Masker) {
    super(slot, field);
    this.#masker = masker;
  }

  protected transform(value: unknown): unknown {
    return this.#masker.mask(value);
  }
}
