import { compareVersions, type EventVersion } from '@cdc/core';
import { deadLetterOf, pendingDetail, progressOf, sameVersion, versionKey } from './hop-matching.ts';
import type { SinkNode } from './topic-graph.ts';
import {
  positionKey,
  type ChangeRecord,
  type ConflictFact,
  type DeadLetterFact,
  type SpanFact,
  type TargetFact,
  type TraceFacts,
} from './trace-facts.ts';
import {
  describeVersion,
  isoTime,
  versionJson,
  type ConflictReport,
  type SinkEventReport,
  type SinkHop,
  type TargetReport,
} from './trace-report.ts';

// What a sink did with each event of the row, from what tells it best: a dead letter naming
// the sink, the sink's span in the tracing UI (its cdc.outcome), a conflict record, the version
// the target holds (this one: written; a newer one: superseded), and last the sink's committed
// offset (pending, or handled without the target saying more).

export function sinkHop(
  facts: TraceFacts,
  node: SinkNode,
  events: readonly ChangeRecord[],
  sourceEvents: ReadonlyMap<string, ChangeRecord>,
): SinkHop {
  const target = facts.targets.get(node.name) ?? { kind: 'cannot_tell' };
  const letters = (facts.deadLetters.get(node.deadLetters) ?? []).filter((d) => d.by === node.name);
  const conflicts = (facts.conflicts.get(node.conflicts) ?? []).filter(
    (c) => c.sink === null || c.sink === node.name,
  );
  return {
    hop: 'sink',
    name: node.name,
    kind: node.kind,
    topic: node.topic,
    dead_letters: node.deadLetters,
    conflicts: node.conflicts,
    group: node.group,
    target: targetReport(target),
    events: events.map((event) => {
      const traceId = event.version ? sourceEvents.get(versionKey(event.version))?.traceId : undefined;
      const lookup = traceId ? facts.traces.get(traceId) : undefined;
      const spans = lookup?.status === 'found' ? lookup.spans : [];
      return inReportOrder(sinkEvent(facts, node, event, target, { letters, conflicts, spans }));
    }),
  };
}

/** The keys in the order of SinkEventReport, whichever rule decided: the JSON reads the same for every event. */
function inReportOrder(e: SinkEventReport): SinkEventReport {
  const { version, partition, offset, outcome, detail, basis, at, lag_ms, reasons, conflict, behind } = e;
  return { version, partition, offset, outcome, detail, basis, at, lag_ms, reasons, conflict, behind };
}

interface SinkRecords {
  readonly letters: readonly DeadLetterFact[];
  readonly conflicts: readonly ConflictFact[];
  readonly spans: readonly SpanFact[];
}

function sinkEvent(
  facts: TraceFacts,
  node: SinkNode,
  event: ChangeRecord,
  target: TargetFact,
  records: SinkRecords,
): SinkEventReport {
  const base = {
    version: event.version ? versionJson(event.version) : null,
    partition: event.partition,
    offset: event.offset,
  };
  const none = { reasons: [], conflict: null, behind: null } as const;
  const letter = deadLetterOf(records.letters, node.topic, event);
  if (letter) {
    const at = letter.atMs ?? letter.timestampMs;
    return {
      ...base,
      ...none,
      outcome: 'dead_lettered',
      detail: `dead-lettered by ${node.name} to ${node.deadLetters} (offset ${letter.offset})`,
      basis: 'dead_letter',
      at: isoTime(at),
      lag_ms: at - event.timestampMs,
      reasons: letter.reasons,
    };
  }
  const conflictFact = records.conflicts.find(
    (c) =>
      (c.partition === event.partition && c.offset === event.offset) ||
      (c.offset === null && sameVersion(c.version, event.version)),
  );
  const conflict = conflictFact ? conflictReport(conflictFact) : null;
  const since = supersededNote(target, event.version);
  const span = spanOf(records.spans, node, event);
  if (span?.outcome) {
    const outcome = spanOutcome(span.outcome);
    return {
      ...base,
      ...none,
      outcome,
      detail: `${spanDetail(span.outcome)}${conflict ? `; ${conflictDetail(conflict)}` : ''}${outcome === 'written' ? since : ''}`,
      basis: 'span',
      at: isoTime(span.endMs),
      lag_ms: span.endMs === null ? null : span.endMs - event.timestampMs,
      conflict,
    };
  }
  if (conflict) {
    const at = conflictFact?.detectedAtMs ?? null;
    const applied = conflict.resolution === 'source' || conflict.resolution === 'merged';
    return {
      ...base,
      ...none,
      outcome: applied ? 'written' : 'skipped',
      detail: `${conflictDetail(conflict)}${applied ? since : ''}`,
      basis: 'conflict',
      at: isoTime(at),
      lag_ms: at === null ? null : at - event.timestampMs,
      conflict,
    };
  }
  // A target holding this version or a newer one says enough, committed or not (the sink
  // commits after writing, and reads a partition in order).
  const known = byTargetVersion(target, event.version);
  if (known) return { ...base, ...none, ...known, at: null, lag_ms: null };
  const position = facts.positions.get(positionKey(node.group, node.topic, event.partition));
  const progress = progressOf(position, event.offset);
  if (!progress.handled) {
    return {
      ...base,
      ...none,
      outcome: 'pending',
      detail: pendingDetail(node.group, event.partition, position, progress.behind),
      basis: 'offsets',
      at: null,
      lag_ms: null,
      behind: progress.behind,
    };
  }
  return { ...base, ...none, ...handledByTarget(target, event), at: null, lag_ms: null };
}

type Verdict = Pick<SinkEventReport, 'outcome' | 'detail' | 'basis'>;

/** Written or superseded: the target holds this version, or a newer one. */
function byTargetVersion(target: TargetFact, version: EventVersion | null): Verdict | undefined {
  if (target.kind !== 'holds' || version === null) return undefined;
  const order = compareVersions(version, target.version);
  if (order === 0)
    return { outcome: 'written', detail: 'written: the version the target holds', basis: 'target' };
  if (order > 0) return undefined;
  return {
    outcome: 'superseded',
    detail: `superseded by ${describeVersion(versionJson(target.version))} (written, or stale on arrival)`,
    basis: 'target',
  };
}

/** A handled event the target holds no newer version of. */
function handledByTarget(target: TargetFact, event: ChangeRecord): Verdict {
  if (target.kind === 'holds') {
    return {
      outcome: 'not_applied',
      detail: `not applied: the target holds the older ${describeVersion(versionJson(target.version))} (skipped by the conflict policy, or undone there since)`,
      basis: 'target',
    };
  }
  if (target.kind === 'nothing') {
    return {
      outcome: 'missing',
      detail:
        event.op === 'd'
          ? 'handled; the target holds nothing for the row (the delete marker has expired)'
          : 'handled, but the target holds nothing for the row (removed there since?)',
      basis: 'target',
    };
  }
  return {
    outcome: 'handled',
    detail:
      target.kind === 'unreadable'
        ? `handled (the sink's group is past it); the target could not be read: ${target.reason}`
        : "handled (the sink's group is past it); this target cannot say which version it holds",
    basis: 'offsets',
  };
}

function supersededNote(target: TargetFact, version: EventVersion | null): string {
  if (target.kind !== 'holds' || version === null || compareVersions(version, target.version) >= 0) return '';
  return `; since superseded by ${describeVersion(versionJson(target.version))}`;
}

function spanOf(spans: readonly SpanFact[], node: SinkNode, event: ChangeRecord): SpanFact | undefined {
  const candidates = spans.filter(
    (s) =>
      s.sink === node.name &&
      (s.topic === null || s.topic === node.topic) &&
      (s.offset === null || s.offset === event.offset) &&
      (s.version === null || sameVersion(s.version, event.version)),
  );
  // A replay writes the record again: the latest span tells what the last attempt did.
  return candidates.sort((a, b) => (a.endMs ?? 0) - (b.endMs ?? 0)).at(-1);
}

function spanOutcome(outcome: string): SinkEventReport['outcome'] {
  switch (outcome) {
    case 'written':
    case 'stale':
    case 'skipped':
      return outcome;
    case 'failed':
    case 'dead_lettered':
      return 'dead_lettered';
    default:
      return 'handled';
  }
}

function spanDetail(outcome: string): string {
  switch (outcome) {
    case 'written':
      return "written (the sink's span)";
    case 'stale':
      return "stale: the target already held this version or a newer one (the sink's span)";
    case 'skipped':
      return "skipped by the conflict policy (the sink's span)";
    case 'failed':
    case 'dead_lettered':
      return "failed (the sink's span); its dead letter was not found";
    default:
      return `the sink's span says ${outcome}`;
  }
}

function conflictReport(fact: ConflictFact): ConflictReport {
  return {
    policy: fact.policy,
    resolution: fact.resolution,
    changed_fields: fact.changedFields,
    detected_at: isoTime(fact.detectedAtMs),
  };
}

const RESOLUTIONS: Readonly<Record<string, string>> = {
  source: 'ours written over theirs',
  target: 'theirs kept',
  merged: 'merged field by field',
  held: 'held for review',
};

function conflictDetail(conflict: ConflictReport): string {
  const fields = conflict.changed_fields.length > 0 ? ` (${conflict.changed_fields.join(', ')})` : '';
  return `conflict: the target was edited${fields}; ${conflict.policy} -> ${RESOLUTIONS[conflict.resolution] ?? conflict.resolution}`;
}

function targetReport(target: TargetFact): TargetReport {
  switch (target.kind) {
    case 'holds':
      return { status: 'holds', version: versionJson(target.version), detail: null };
    case 'nothing':
      return { status: 'nothing', version: null, detail: null };
    case 'cannot_tell':
      return { status: 'cannot_tell', version: null, detail: null };
    case 'unreadable':
      return { status: 'unreadable', version: null, detail: target.reason };
  }
}
