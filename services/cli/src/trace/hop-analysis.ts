import {
  byVersionThenOffset,
  deadLetterOf,
  pendingDetail,
  progressOf,
  sameVersion,
  versionKey,
} from './hop-matching.ts';
import { sinkHop } from './sink-hop.ts';
import type { ProcessorNode } from './topic-graph.ts';
import { positionKey, type ChangeRecord, type TraceFacts } from './trace-facts.ts';
import {
  isoTime,
  versionJson,
  type ProcessorEventReport,
  type ProcessorHop,
  type SourceHop,
  type TraceLink,
  type TraceReport,
} from './trace-report.ts';

/**
 * What happened to a row at each hop, from the facts alone (no I/O, so every rule is tested on
 * plain data). Events are matched across topics by version: a processor keeps the version of
 * what it forwards, a dead letter keeps the original headers (and says where it was read), a
 * conflict record names the offset it concerns. Where a hop left no record of an event, its
 * consumer group's committed offset tells handled from pending, and for a sink the version its
 * target holds tells written from superseded or not applied.
 */
export function analyseTrace(facts: TraceFacts): TraceReport {
  const { graph } = facts;
  const all = (facts.changes.get(graph.sourceTopic) ?? []).filter((r) => !r.tombstone);
  const traced = tracedEvents(all, facts.last);
  const versions = new Map<string, ChangeRecord>();
  for (const record of traced) if (record.version) versions.set(versionKey(record.version), record);
  const inScope = (record: ChangeRecord) =>
    !record.tombstone && record.version !== null && versions.has(versionKey(record.version));

  const source: SourceHop = {
    hop: 'source',
    topic: graph.sourceTopic,
    partitions: [...new Set(all.map((r) => r.partition))].sort((a, b) => a - b),
    tombstones: (facts.changes.get(graph.sourceTopic) ?? []).filter((r) => r.tombstone).length,
    events: traced.map((record) => ({
      version: record.version ? versionJson(record.version) : null,
      op: record.op,
      partition: record.partition,
      offset: record.offset,
      committed_at: isoTime(record.commitTimeMs),
      produced_at: isoTime(record.timestampMs) ?? '',
      lag_ms: record.commitTimeMs === null ? null : record.timestampMs - record.commitTimeMs,
      key_changed_to: record.keyChange && 'to' in record.keyChange ? record.keyChange.to : null,
      key_changed_from: record.keyChange && 'from' in record.keyChange ? record.keyChange.from : null,
      trace: traceLink(facts, record.traceId),
    })),
  };
  const processors = graph.processors.map((node) =>
    processorHop(facts, node, (facts.changes.get(node.input) ?? []).filter(inScope)),
  );
  const sinks = graph.sinks.map((node) =>
    sinkHop(facts, node, (facts.changes.get(node.topic) ?? []).filter(inScope), versions),
  );
  return {
    table: `${graph.table.schema}.${graph.table.name}`,
    key: facts.key,
    found: all.length > 0,
    since: isoTime(facts.sinceMs),
    earlier_events: all.length - traced.length,
    hops: [source, ...processors, ...sinks],
  };
}

/** The source events a trace follows: the newest `last` by version (tombstones are no events). */
export function tracedEvents(records: readonly ChangeRecord[], last: number): ChangeRecord[] {
  const ordered = records.filter((r) => !r.tombstone).sort(byVersionThenOffset);
  return ordered.slice(Math.max(0, ordered.length - last));
}

function traceLink(facts: TraceFacts, id: string | null): TraceLink {
  if (id === null) return { id, status: 'no_context', url: null };
  if (facts.tracingUrl === null) return { id, status: 'not_configured', url: null };
  const status = facts.traces.get(id)?.status ?? 'not_found';
  return { id, status, url: status === 'found' ? `${facts.tracingUrl}/zipkin/traces/${id}` : null };
}

function processorHop(facts: TraceFacts, node: ProcessorNode, inputs: readonly ChangeRecord[]): ProcessorHop {
  const outputs = (facts.changes.get(node.output) ?? []).filter((r) => !r.tombstone);
  const letters = (facts.deadLetters.get(node.deadLetters) ?? []).filter((d) => d.by === node.name);
  const events = inputs.map((input): ProcessorEventReport => {
    const base = {
      version: input.version ? versionJson(input.version) : null,
      partition: input.partition,
      offset: input.offset,
    };
    const output = outputs.find(
      (o) => o.partition === input.partition && sameVersion(o.version, input.version),
    );
    if (output) {
      return {
        ...base,
        outcome: 'forwarded',
        detail: `forwarded to ${node.output} (offset ${output.offset})`,
        at: isoTime(output.timestampMs),
        lag_ms: output.timestampMs - input.timestampMs,
        output_offset: output.offset,
        reasons: [],
        behind: null,
      };
    }
    const letter = deadLetterOf(letters, node.input, input);
    if (letter) {
      const at = letter.atMs ?? letter.timestampMs;
      return {
        ...base,
        outcome: 'dead_lettered',
        detail: `dead-lettered by ${node.name} to ${node.deadLetters} (offset ${letter.offset})`,
        at: isoTime(at),
        lag_ms: at - input.timestampMs,
        output_offset: null,
        reasons: letter.reasons,
        behind: null,
      };
    }
    const position = facts.positions.get(positionKey(node.group, node.input, input.partition));
    const progress = progressOf(position, input.offset);
    return {
      ...base,
      outcome: progress.handled ? 'handled' : 'pending',
      detail: progress.handled
        ? `handled (group ${node.group} is past it), but neither an output nor a dead letter of this version was found${facts.sinceMs === null ? '' : ' in the searched time'} (removed by retention?)`
        : pendingDetail(node.group, input.partition, position, progress.behind),
      at: null,
      lag_ms: null,
      output_offset: null,
      reasons: [],
      behind: progress.behind,
    };
  });
  return {
    hop: 'processor',
    name: node.name,
    kind: node.kind,
    input: node.input,
    output: node.output,
    dead_letters: node.deadLetters,
    group: node.group,
    events,
  };
}
