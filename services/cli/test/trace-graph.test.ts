import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { parsePipelineConfig } from '@cdc/pipeline';
import {
  changeTopics,
  checkCaptured,
  sideTopics,
  sourceTablesIn,
  topicGraph,
} from '../src/trace/topic-graph.ts';

const config = parsePipelineConfig(
  {
    source: { name: 'shop', tables: ['public.patients', 'public.visits'] },
    processors: [
      // Listed before the processor whose output it reads: the graph still orders by hop.
      {
        name: 'clean',
        kind: 'transform',
        input: 'shop.public.patients.valid',
        output: 'shop.public.patients.clean',
        steps: [{ rename: { mrn: 'record_number' } }],
      },
      {
        name: 'check',
        kind: 'validate',
        input: 'shop.public.patients',
        output: 'shop.public.patients.valid',
        rules: [{ field: 'mrn', required: true }],
      },
      {
        name: 'visits',
        kind: 'validate',
        input: 'shop.public.visits',
        output: 'shop.public.visits.valid',
        rules: [{ field: 'id', required: true }],
      },
    ],
    sinks: [
      { name: 'cache', kind: 'redis', topics: ['shop.public.patients.clean'], key: 'p:{id}' },
      {
        name: 'records',
        kind: 'mongodb',
        topics: ['shop.public.patients', 'shop.public.visits'],
        database: 'health',
        collection: '{table}',
      },
    ],
  },
  {},
);

describe('the topic graph of cdc trace', () => {
  it('follows a table through its processors, in hop order, to every sink of those topics', () => {
    const graph = topicGraph(config, { schema: 'public', name: 'patients' });
    expect(graph.sourceTopic).toBe('shop.public.patients');
    expect(graph.processors).toEqual([
      {
        name: 'check',
        kind: 'validate',
        input: 'shop.public.patients',
        output: 'shop.public.patients.valid',
        deadLetters: 'shop.public.patients.dlq',
        group: 'check',
      },
      {
        name: 'clean',
        kind: 'transform',
        input: 'shop.public.patients.valid',
        output: 'shop.public.patients.clean',
        deadLetters: 'shop.public.patients.valid.dlq',
        group: 'clean',
      },
    ]);
    expect(graph.sinks.map(({ config: _, ...node }) => node)).toEqual([
      {
        name: 'cache',
        kind: 'redis',
        topic: 'shop.public.patients.clean',
        deadLetters: 'shop.public.patients.clean.dlq',
        conflicts: 'shop.public.patients.clean.conflicts',
        group: 'cdc-sink.cache',
      },
      {
        name: 'records',
        kind: 'mongodb',
        topic: 'shop.public.patients',
        deadLetters: 'shop.public.patients.dlq',
        conflicts: 'shop.public.patients.conflicts',
        group: 'cdc-sink.records',
      },
    ]);
    expect(changeTopics(graph)).toEqual([
      'shop.public.patients',
      'shop.public.patients.valid',
      'shop.public.patients.clean',
    ]);
    // The validator's and the MongoDB sink's dead letters of shop.public.patients share a topic.
    expect(sideTopics(graph)).toEqual({
      deadLetters: [
        'shop.public.patients.dlq',
        'shop.public.patients.valid.dlq',
        'shop.public.patients.clean.dlq',
      ],
      conflicts: ['shop.public.patients.clean.conflicts', 'shop.public.patients.conflicts'],
    });
  });

  it('names topics as the source does: characters Kafka refuses become _', () => {
    const graph = topicGraph(config, { schema: 'public', name: 'tag list' });
    expect(graph.sourceTopic).toBe('shop.public.tag_list');
    expect(graph.processors).toEqual([]);
    expect(graph.sinks).toEqual([]);
  });

  it('refuses a table the source does not capture, listing those it does', () => {
    expect(() => checkCaptured(config, { schema: 'public', name: 'patients' })).not.toThrow();
    try {
      checkCaptured(config, { schema: 'public', name: 'invoices' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).code).toBe('UNKNOWN_TABLE');
      expect((error as CdcError).fix).toBe('trace one of: public.patients, public.visits');
    }
  });

  it('finds the tables of a source with tables: all among the topics', () => {
    const all = parsePipelineConfig(
      {
        source: { name: 'shop', tables: 'all' },
        processors: [config.processors[1]],
      },
      {},
    );
    expect(() => checkCaptured(all, { schema: 'x', name: 'y' })).not.toThrow();
    expect(
      sourceTablesIn(all, [
        'shop.public.visits',
        'shop.public.patients',
        'shop.public.patients.valid',
        'shop.public.patients.dlq',
        'shop.__source_state',
        'other.public.patients',
      ]),
    ).toEqual(['public.patients', 'public.visits']);
  });
});
