import { compareVersions, type EventVersion } from '@cdc/core';
import type { ChangeRecord, DeadLetterFact, GroupPosition } from './trace-facts.ts';

// How records of one row are matched across hops, and how far a consumer group has come.

/** The dead letter of a record: by where it was read, else (no origin headers) by version. */
export function deadLetterOf(
  letters: readonly DeadLetterFact[],
  topic: string,
  record: ChangeRecord,
): DeadLetterFact | undefined {
  return (
    letters.find(
      (d) =>
        d.origin !== null &&
        d.origin.topic === topic &&
        d.origin.partition === record.partition &&
        d.origin.offset === record.offset,
    ) ?? letters.find((d) => d.origin === null && sameVersion(d.version, record.version))
  );
}

/** Handled: the group's committed offset (the next it reads) is past the record; else how far behind it is. */
export function progressOf(
  position: GroupPosition | undefined,
  offset: string,
): { handled: boolean; behind: number | null } {
  if (!position?.committed) return { handled: false, behind: null };
  const committed = BigInt(position.committed);
  if (committed > BigInt(offset)) return { handled: true, behind: null };
  const behind = BigInt(position.head) - committed;
  return { handled: false, behind: Number(behind > 0n ? behind : 0n) };
}

/** Why a record is not handled yet, in words. */
export function pendingDetail(
  group: string,
  partition: number,
  position: GroupPosition | undefined,
  behind: number | null,
): string {
  if (!position?.committed)
    return `pending: group ${group} has committed nothing on partition ${partition} (has it run?)`;
  return `pending: group ${group} is at offset ${position.committed}, ${behind ?? '?'} records behind the head of partition ${partition}`;
}

export function sameVersion(a: EventVersion | null, b: EventVersion | null): boolean {
  return a !== null && b !== null && compareVersions(a, b) === 0;
}

export function versionKey(version: EventVersion): string {
  return `${version.commitLsn}/${version.seq}`;
}

export function byVersionThenOffset(a: ChangeRecord, b: ChangeRecord): number {
  if (a.version && b.version) {
    const order = compareVersions(a.version, b.version);
    if (order !== 0) return order;
  }
  return a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));
}
