import { describeReason } from '../dlq.ts';
import {
  describeVersion,
  type HopReport,
  type ProcessorEventReport,
  type SinkEventReport,
  type SourceEventReport,
  type TraceLink,
  type TraceReport,
  type VersionJson,
} from './trace-report.ts';

/**
 * `cdc trace` as people read it: one block per hop (the source, each processor, each sink), one
 * line per event with its version, what happened, the lag and the detail; dead letters' reasons
 * and trace links on the lines below.
 */
export function renderTrace(report: TraceReport): string {
  const source = report.hops.find((hop) => hop.hop === 'source');
  const count = source?.events.length ?? 0;
  const earlier = report.earlier_events > 0 ? `, ${report.earlier_events} earlier not shown (--last)` : '';
  const lines = [
    `${report.table} ${report.key}: ${count} event${count === 1 ? '' : 's'}${earlier}` +
      `${report.since ? ` since ${report.since}` : ''} (versions are commit LSN#seq)`,
  ];
  for (const hop of report.hops) lines.push('', ...renderHop(hop));
  return lines.join('\n');
}

const OPS: Readonly<Record<string, string>> = {
  c: 'insert',
  u: 'update',
  d: 'delete',
  r: 'snapshot',
  t: 'truncate',
};

function renderHop(hop: HopReport): string[] {
  switch (hop.hop) {
    case 'source': {
      const partitions = hop.partitions.length > 0 ? ` (partition ${hop.partitions.join(', ')})` : '';
      const tombstones =
        hop.tombstones > 0 ? `, ${hop.tombstones} tombstone${hop.tombstones === 1 ? '' : 's'}` : '';
      return [
        `source  ${hop.topic}${partitions}${tombstones}`,
        ...table(
          hop.events.map((event) => [
            version(event.version),
            OPS[event.op ?? ''] ?? event.op ?? '?',
            lag(event.lag_ms),
            sourceDetail(event),
          ]),
          hop.events.map((event) => [
            ...(event.key_changed_to === null
              ? []
              : [`the key changed to ${event.key_changed_to}: trace that key too`]),
            ...(event.key_changed_from === null ? [] : [`the key changed from ${event.key_changed_from}`]),
            traceLine(event.trace),
          ]),
        ),
      ];
    }
    case 'processor':
      return [`processor ${hop.name} (${hop.kind})  ${hop.input} -> ${hop.output}`, ...hopEvents(hop.events)];
    case 'sink': {
      const target =
        hop.target.status === 'holds' && hop.target.version
          ? `the target holds ${describeVersion(hop.target.version)}`
          : hop.target.status === 'nothing'
            ? 'the target holds nothing for the row'
            : hop.target.status === 'unreadable'
              ? `the target could not be read: ${hop.target.detail ?? 'unknown error'}`
              : 'the target cannot say which version it holds';
      return [`sink ${hop.name} (${hop.kind})  reads ${hop.topic}; ${target}`, ...hopEvents(hop.events)];
    }
  }
}

/** A processor's or a sink's events: version, outcome, lag, what happened, then the reasons. */
function hopEvents(events: readonly (ProcessorEventReport | SinkEventReport)[]): string[] {
  return eventsOrNone(
    table(
      events.map((event) => [
        version(event.version),
        event.outcome.replace('_', '-'),
        lag(event.lag_ms),
        event.detail,
      ]),
      events.map((event) => event.reasons.map(describeReason)),
    ),
  );
}

function eventsOrNone(lines: string[]): string[] {
  return lines.length > 0 ? lines : ['  no event of the row reached it'];
}

function sourceDetail(event: SourceEventReport): string {
  const committed = event.committed_at ? `committed ${event.committed_at}, ` : '';
  return `${committed}in Kafka ${event.produced_at} (partition ${event.partition}, offset ${event.offset})`;
}

function traceLine(trace: TraceLink): string {
  if (trace.id === null) return 'no trace context (the record has no traceparent header)';
  switch (trace.status) {
    case 'found':
      return `trace ${trace.id}: ${trace.url ?? ''}`;
    case 'not_found':
      return `trace ${trace.id}: not in the tracing UI (not sampled, or not exported)`;
    case 'unavailable':
      return `trace ${trace.id}: the tracing UI did not answer`;
    default:
      return `trace ${trace.id} (set ZIPKIN_URL to look it up in the tracing UI)`;
  }
}

function version(value: VersionJson | null): string {
  return value ? describeVersion(value) : '?';
}

/** `+12 ms`, `+3.4 s`, `+2.5 min`, `+1.2 h`; `-` when unknown. */
export function lag(ms: number | null): string {
  if (ms === null) return '-';
  const sign = ms < 0 ? '-' : '+';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  if (abs < 3_600_000) return `${sign}${(abs / 60_000).toFixed(1)} min`;
  return `${sign}${(abs / 3_600_000).toFixed(1)} h`;
}

/** Rows in aligned columns (the last one free), each followed by its notes, indented under the last column. */
function table(rows: readonly string[][], notes: readonly string[][]): string[] {
  const widths = (rows[0] ?? [])
    .slice(0, -1)
    .map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const indent = 2 + widths.reduce((sum, width) => sum + width + 2, 0);
  return rows.flatMap((row, r) => [
    `  ${row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`.trimEnd(),
    ...(notes[r] ?? []).map((note) => `${' '.repeat(indent)}${note}`),
  ]);
}

/** The message for a key the source topic does not hold. */
export function renderNotFound(
  report: TraceReport,
  searched: {
    readonly topic: string;
    readonly exists: boolean;
    readonly partitions: number;
    readonly keyFields: readonly string[];
  },
): string {
  if (!searched.exists) {
    return `no event of ${report.table} with key ${report.key}: Kafka has no topic ${searched.topic} yet (the source makes it with the table's first change)`;
  }
  const where = report.since ? `since ${report.since}` : 'from the beginning';
  const fields =
    searched.keyFields.length > 0
      ? `; its keys have the field${searched.keyFields.length === 1 ? '' : 's'} ${searched.keyFields.join(', ')}`
      : '';
  return (
    `no event of ${report.table} with key ${report.key} in ${searched.topic} ` +
    `(${searched.partitions} partition${searched.partitions === 1 ? '' : 's'} read ${where}${fields})`
  );
}
