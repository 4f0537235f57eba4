import { hash } from 'node:crypto';

/**
 * A record as the sink knows it: the target's fields as found (or as our last write left them)
 * and the bookkeeping stored beside them. Field values are kept as the exact bytes Redis holds so
 * that digests and fingerprints taken here equal those the Lua script takes on the server.
 */

export interface TargetField {
  /** The field name as Redis holds it (a hash field name may be any bytes). */
  readonly name: string | Buffer;
  /** Hash: the field's value; JSON: the canonical JSON text of the field's value. */
  readonly raw: string | Buffer;
  /** The value as reported in conflicts: hash text, or the parsed JSON value. */
  readonly value: unknown;
  /** fieldDigest's cache: a field is digested once however many events of a batch carry it forward. */
  digest?: string;
}

/** Fields by name, in the target's order. */
export type Target = ReadonlyMap<string, TargetField>;

export interface RecordState {
  /** versionText of our last write; null when there is no bookkeeping (never written, or expired). */
  readonly version: string | null;
  /** The bookkeeping is a delete marker. */
  readonly deleted: boolean;
  /** Digest of each field as we last wrote it (absent: we wrote none). */
  readonly digests: ReadonlyMap<string, string>;
  /** Null when the data key is absent. */
  readonly target: Target | null;
  /** Of the data key's content as the script computes it; '' when absent. */
  readonly fingerprint: string;
}

export const EMPTY_TARGET: Target = new Map();

/** Short enough to keep bookkeeping small, long enough that a change never goes unseen by chance. */
export function digest(raw: string | Buffer): string {
  return hash('sha1', raw, 'hex').slice(0, 16);
}

export function fieldDigest(field: TargetField): string {
  return (field.digest ??= digest(field.raw));
}

/** Whether two fields hold the same bytes (a hash field read is a Buffer, one we make is text). */
export function sameRaw(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const bytes = (raw: string | Buffer) => (typeof raw === 'string' ? Buffer.from(raw) : raw);
  return bytes(a).equals(bytes(b));
}

const NUL = Buffer.from([0]);

function fingerprintSum(field: TargetField): Buffer {
  const { name, raw } = field;
  const text = typeof name === 'string' && typeof raw === 'string';
  const input = text ? `${name}\0${raw}` : Buffer.concat([Buffer.from(name), NUL, Buffer.from(raw)]);
  return hash('sha1', input, 'buffer');
}

/**
 * Order-independent fingerprint of a hash (HGETALL order is not stable and Lua's string order
 * follows the server's locale): the XOR of each field's sha1(name NUL value), as two 32-bit halves
 * because Lua's bit library works on 32 bits. Must match `fingerprint` in script.ts.
 */
export function hashFingerprint(target: Target): string {
  if (target.size === 0) return '';
  let high = 0;
  let low = 0;
  for (const field of target.values()) {
    const sum = fingerprintSum(field);
    high ^= sum.readUInt32BE(0);
    low ^= sum.readUInt32BE(4);
  }
  return hex32(high) + hex32(low);
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Fields whose value differs between what we last wrote and what the target holds, sorted. */
export function changedFields(state: RecordState): string[] {
  const target = state.target ?? EMPTY_TARGET;
  const changed: string[] = [];
  for (const [name, field] of target) {
    if (state.digests.get(name) !== fieldDigest(field)) changed.push(name);
  }
  for (const name of state.digests.keys()) {
    if (!target.has(name)) changed.push(name);
  }
  return changed.sort();
}

/** The target as a row for a conflict record, or null when absent. */
export function targetRow(target: Target | null): Record<string, unknown> | null {
  if (target === null) return null;
  const row: Record<string, unknown> = {};
  for (const [name, field] of target) row[name] = field.value;
  return row;
}
