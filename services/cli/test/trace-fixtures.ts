import type { EventVersion } from '@cdc/core';
import { parsePipelineConfig } from '@cdc/pipeline';
import { topicGraph } from '../src/trace/topic-graph.ts';
import type { ChangeRecord, TraceFacts } from '../src/trace/trace-facts.ts';

/**
 * Plain-data facts for the analysis and rendering tests: a table with one validator and two
 * sinks, one on the validator's output (Redis) and one on the table's own topic (MongoDB).
 */
export const graph = topicGraph(
  parsePipelineConfig(
    {
      source: { name: 'shop', tables: ['public.patients'] },
      processors: [
        {
          name: 'check',
          kind: 'validate',
          input: 'shop.public.patients',
          output: 'shop.public.patients.valid',
          rules: [{ field: 'mrn', required: true }],
        },
      ],
      sinks: [
        { name: 'cache', kind: 'redis', topics: ['shop.public.patients.valid'], key: 'p:{id}' },
        {
          name: 'records',
          kind: 'mongodb',
          topics: ['shop.public.patients'],
          database: 'health',
          collection: 'patients',
          conflict: { policy: 'target_wins' },
        },
      ],
    },
    {},
  ),
  { schema: 'public', name: 'patients' },
);

export const SOURCE = 'shop.public.patients';
export const VALID = 'shop.public.patients.valid';

export const v = (commitLsn: number, seq = 0): EventVersion => ({
  commitLsn: BigInt(commitLsn),
  seq: BigInt(seq),
});

export function change(
  topic: string,
  offset: number,
  version: EventVersion | null,
  timestampMs: number,
  more: Partial<ChangeRecord> = {},
): ChangeRecord {
  return {
    topic,
    partition: 1,
    offset: String(offset),
    timestampMs,
    version,
    op: 'u',
    commitTimeMs: timestampMs - 10,
    tombstone: false,
    traceId: null,
    keyChange: null,
    ...more,
  };
}

export function facts(more: Partial<TraceFacts> = {}): TraceFacts {
  return {
    graph,
    key: '42',
    sinceMs: null,
    last: 20,
    changes: new Map(),
    deadLetters: new Map(),
    conflicts: new Map(),
    positions: new Map(),
    targets: new Map(),
    traces: new Map(),
    tracingUrl: null,
    ...more,
  };
}
