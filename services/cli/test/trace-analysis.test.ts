import { describe, expect, it } from 'vitest';
import { analyseTrace } from '../src/trace/hop-analysis.ts';
import { positionKey, type TraceFacts } from '../src/trace/trace-facts.ts';
import type { ProcessorHop, SinkHop, SourceHop, TraceReport } from '../src/trace/trace-report.ts';
import { SOURCE, VALID, change, facts, v } from './trace-fixtures.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/**
 * Three changes of the row: v1 inserted and forwarded, v2 refused by the validator, v3
 * forwarded. The Redis sink holds v3; the MongoDB sink (target_wins) met an edit at v2 and
 * has not read v3 yet.
 */
function pipelineFacts(more: Partial<TraceFacts> = {}): TraceFacts {
  return facts({
    changes: new Map([
      [
        SOURCE,
        [
          change(SOURCE, 0, v(100), 1_000, { op: 'c', traceId: TRACE }),
          change(SOURCE, 1, v(200), 2_000),
          change(SOURCE, 2, v(300), 3_000),
        ],
      ],
      [VALID, [change(VALID, 0, v(100), 1_030), change(VALID, 1, v(300), 3_050)]],
    ]),
    deadLetters: new Map([
      [
        `${SOURCE}.dlq`,
        [
          {
            partition: 1,
            offset: '7',
            timestampMs: 2_020,
            by: 'check',
            origin: { topic: SOURCE, partition: 1, offset: '1' },
            version: v(200),
            reasons: [{ rule: 'required', field: 'mrn', message: 'mrn is required' }],
            atMs: 2_015,
          },
        ],
      ],
    ]),
    conflicts: new Map([
      [
        `${SOURCE}.conflicts`,
        [
          {
            sink: 'records',
            topic: SOURCE,
            partition: 1,
            offset: '1',
            version: v(200),
            policy: 'target_wins',
            resolution: 'target',
            changedFields: ['email'],
            detectedAtMs: 2_100,
          },
        ],
      ],
    ]),
    positions: new Map([
      [positionKey('check', SOURCE, 1), { committed: '3', head: '3' }],
      [positionKey('cdc-sink.cache', VALID, 1), { committed: '2', head: '2' }],
      [positionKey('cdc-sink.records', SOURCE, 1), { committed: '2', head: '3' }],
    ]),
    targets: new Map([
      ['cache', { kind: 'holds', version: v(300) }],
      ['records', { kind: 'holds', version: v(100) }],
    ]),
    ...more,
  });
}

function hop<T extends TraceReport['hops'][number]['hop']>(report: TraceReport, kind: T, name?: string) {
  return report.hops.find(
    (h) => h.hop === kind && (name === undefined || ('name' in h && h.name === name)),
  ) as Extract<TraceReport['hops'][number], { hop: T }>;
}

describe('cdc trace: what happened at each hop', () => {
  it('lists the source events with their versions, times, lag and trace', () => {
    const report = analyseTrace(pipelineFacts());
    expect(report).toMatchObject({ table: 'public.patients', key: '42', found: true, earlier_events: 0 });
    const source: SourceHop = hop(report, 'source');
    expect(source).toMatchObject({ topic: SOURCE, partitions: [1], tombstones: 0 });
    expect(source.events[0]).toEqual({
      version: { commit_lsn: '100', seq: '0', lsn: '0/64' },
      op: 'c',
      partition: 1,
      offset: '0',
      committed_at: new Date(990).toISOString(),
      produced_at: new Date(1_000).toISOString(),
      lag_ms: 10,
      key_changed_to: null,
      key_changed_from: null,
      trace: { id: TRACE, status: 'not_configured', url: null },
    });
  });

  it('shows what the processor did with each event: forwarded with the lag, or dead-lettered with the reason', () => {
    const processor: ProcessorHop = hop(analyseTrace(pipelineFacts()), 'processor');
    expect(processor.events.map((e) => [e.version?.commit_lsn, e.outcome, e.lag_ms])).toEqual([
      ['100', 'forwarded', 30],
      ['200', 'dead_lettered', 15],
      ['300', 'forwarded', 50],
    ]);
    expect(processor.events[0]?.output_offset).toBe('0');
    expect(processor.events[1]).toMatchObject({
      detail: `dead-lettered by check to ${SOURCE}.dlq (offset 7)`,
      reasons: [{ rule: 'required', field: 'mrn', message: 'mrn is required' }],
    });
  });

  it('tells written from superseded by the version the target holds', () => {
    const cache: SinkHop = hop(analyseTrace(pipelineFacts()), 'sink', 'cache');
    expect(cache.target).toEqual({
      status: 'holds',
      version: { commit_lsn: '300', seq: '0', lsn: '0/12C' },
      detail: null,
    });
    // The dead-lettered v2 never reached the validator's output, so not this sink either.
    expect(cache.events.map((e) => [e.version?.commit_lsn, e.outcome, e.basis])).toEqual([
      ['100', 'superseded', 'target'],
      ['300', 'written', 'target'],
    ]);
    expect(cache.events[0]?.detail).toBe('superseded by 0/12C#0 (written, or stale on arrival)');
  });

  it('shows a conflict and how it was resolved, and what is still pending', () => {
    const records: SinkHop = hop(analyseTrace(pipelineFacts()), 'sink', 'records');
    expect(records.events.map((e) => [e.version?.commit_lsn, e.outcome, e.basis])).toEqual([
      ['100', 'written', 'target'],
      ['200', 'skipped', 'conflict'],
      ['300', 'pending', 'offsets'],
    ]);
    expect(records.events[1]).toMatchObject({
      detail: 'conflict: the target was edited (email); target_wins -> theirs kept',
      conflict: { policy: 'target_wins', resolution: 'target', changed_fields: ['email'] },
      lag_ms: 100,
    });
    expect(records.events[2]).toMatchObject({
      behind: 1,
      detail: 'pending: group cdc-sink.records is at offset 2, 1 records behind the head of partition 1',
    });
  });

  it("takes a sink's span as the exact outcome when the tracing UI has the trace", () => {
    const report = analyseTrace(
      pipelineFacts({
        tracingUrl: 'http://127.0.0.1:9411',
        traces: new Map([
          [
            TRACE,
            {
              status: 'found',
              spans: [
                {
                  sink: 'cache',
                  topic: VALID,
                  offset: '0',
                  outcome: 'written',
                  version: v(100),
                  endMs: 1_100,
                },
                { sink: 'other', topic: VALID, offset: '0', outcome: 'stale', version: v(100), endMs: 1_200 },
              ],
            },
          ],
        ]),
      }),
    );
    expect(hop(report, 'source').events[0]?.trace).toEqual({
      id: TRACE,
      status: 'found',
      url: `http://127.0.0.1:9411/zipkin/traces/${TRACE}`,
    });
    expect(hop(report, 'sink', 'cache').events[0]).toMatchObject({
      outcome: 'written',
      basis: 'span',
      lag_ms: 70,
      detail: "written (the sink's span); since superseded by 0/12C#0",
    });
    expect(hop(report, 'source').events[1]?.trace).toEqual({ id: null, status: 'no_context', url: null });
  });

  it('says a trace the tracing UI lacks was not found', () => {
    const report = analyseTrace(pipelineFacts({ tracingUrl: 'http://127.0.0.1:9411' }));
    expect(hop(report, 'source').events[0]?.trace).toEqual({ id: TRACE, status: 'not_found', url: null });
  });

  it("dead-letters a sink's event by the dead letter naming that sink", () => {
    const base = pipelineFacts();
    const report = analyseTrace({
      ...base,
      deadLetters: new Map([
        [
          `${VALID}.dlq`,
          [
            {
              partition: 1,
              offset: '0',
              timestampMs: 3_200,
              by: 'cache',
              origin: { topic: VALID, partition: 1, offset: '1' },
              version: v(300),
              reasons: [{ rule: 'sink', field: null, message: 'Redis refused the write' }],
              atMs: 3_150,
            },
          ],
        ],
      ]),
    });
    expect(hop(report, 'sink', 'cache').events[1]).toMatchObject({
      outcome: 'dead_lettered',
      basis: 'dead_letter',
      lag_ms: 100,
      reasons: [{ rule: 'sink', message: 'Redis refused the write' }],
    });
  });

  it('tells not applied, missing, handled and a group that never committed apart', () => {
    const base = pipelineFacts();
    const withTarget = (target: TraceFacts['targets'] extends ReadonlyMap<string, infer T> ? T : never) =>
      hop(analyseTrace({ ...base, targets: new Map([['cache', target]]) }), 'sink', 'cache').events[1];
    const older = withTarget({ kind: 'holds', version: v(100) });
    expect(older?.outcome).toBe('not_applied');
    expect(older?.detail).toMatch(/^not applied: the target holds the older 0\/64#0/);
    expect(withTarget({ kind: 'nothing' })?.outcome).toBe('missing');
    expect(withTarget({ kind: 'cannot_tell' })).toMatchObject({ outcome: 'handled', basis: 'offsets' });
    expect(withTarget({ kind: 'unreadable', reason: 'Redis is unreachable' })?.detail).toMatch(
      /could not be read: Redis is unreachable/,
    );

    const neverRan = analyseTrace({ ...base, positions: new Map() });
    expect(hop(neverRan, 'processor').events[0]).toMatchObject({ outcome: 'forwarded' });
    // What the target holds tells v1 (written) without offsets, but not v3 (newer than it holds).
    expect(hop(neverRan, 'sink', 'records').events[0]?.outcome).toBe('written');
    expect(hop(neverRan, 'sink', 'records').events[2]).toMatchObject({
      outcome: 'pending',
      detail: 'pending: group cdc-sink.records has committed nothing on partition 1 (has it run?)',
    });

    const lost = analyseTrace({ ...base, changes: new Map([[SOURCE, base.changes.get(SOURCE) ?? []]]) });
    expect(hop(lost, 'processor').events[0]?.outcome).toBe('handled');
    expect(hop(lost, 'processor').events[0]?.detail).toMatch(/neither an output nor a dead letter/);
  });

  it('follows the newest --last events only, and counts tombstones apart', () => {
    const base = pipelineFacts();
    const withDelete = new Map(base.changes);
    withDelete.set(SOURCE, [
      ...(base.changes.get(SOURCE) ?? []),
      change(SOURCE, 3, v(400), 4_000, { op: 'd' }),
      change(SOURCE, 4, v(400), 4_000, { op: null, tombstone: true }),
    ]);
    const report = analyseTrace({ ...base, changes: withDelete, last: 2 });
    expect(report.earlier_events).toBe(2);
    const source = hop(report, 'source');
    expect(source.tombstones).toBe(1);
    expect(source.events.map((e) => e.version?.commit_lsn)).toEqual(['300', '400']);
    expect(hop(report, 'processor').events.map((e) => e.version?.commit_lsn)).toEqual(['300', '400']);
    expect(hop(report, 'sink', 'cache').events.map((e) => e.version?.commit_lsn)).toEqual(['300']);
  });

  it('reports a key the source topic does not hold as not found', () => {
    const report = analyseTrace(facts());
    expect(report.found).toBe(false);
    expect(hop(report, 'source').events).toEqual([]);
  });
});
