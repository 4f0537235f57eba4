import { CONFLICT_TOPIC_SUFFIX, CdcError, dlqTopic, processorGroupId, sinkGroupId } from '@cdc/core';
import type { PipelineConfig, PipelineSinkConfig } from '@cdc/pipeline';
import { topicName } from '@cdc/source-postgres';
import type { TableName } from './trace-arguments.ts';

/**
 * Where a table's rows travel, from the pipeline file alone: its change topic, every processor
 * downstream of it (by input topic, through any number of hops) and every sink reading one of
 * those topics, each with the side topics and consumer group it has by the contracts
 * (docs/contracts.md, Topics). The names come from the functions the services name them with.
 */
export interface TopicGraph {
  readonly table: TableName;
  readonly sourceTopic: string;
  /** In the order rows reach them: a processor comes after the one whose output it reads. */
  readonly processors: readonly ProcessorNode[];
  readonly sinks: readonly SinkNode[];
}

export interface ProcessorNode {
  readonly name: string;
  readonly kind: 'validate' | 'transform';
  readonly input: string;
  readonly output: string;
  readonly deadLetters: string;
  readonly group: string;
}

/** One topic of one sink: a sink reading two topics of the graph is two nodes. */
export interface SinkNode {
  readonly name: string;
  readonly kind: PipelineSinkConfig['kind'];
  readonly topic: string;
  readonly deadLetters: string;
  readonly conflicts: string;
  readonly group: string;
  readonly config: PipelineSinkConfig;
}

/** The prefix of the source's topics: its name, `cdc` when the file has no source. */
export function sourcePrefix(config: PipelineConfig): string {
  return config.source?.name ?? 'cdc';
}

/**
 * Refuses a table the source does not capture, listing those it does. With `tables: all` (or
 * no source section) the file cannot tell: the command then asks Kafka (sourceTablesIn).
 */
export function checkCaptured(config: PipelineConfig, table: TableName): void {
  const tables = config.source?.tables;
  if (tables === undefined || tables === 'all') return;
  const name = `${table.schema}.${table.name}`;
  if (tables.includes(name)) return;
  throw unknownTable(name, tables, 'source.tables of the pipeline file');
}

export function unknownTable(name: string, known: readonly string[], where: string): CdcError {
  return new CdcError('UNKNOWN_TABLE', `${name} is not a table the source captures (${where})`, {
    fix:
      known.length > 0
        ? `trace one of: ${known.join(', ')}`
        : 'capture the table first (source.tables), or check the pipeline file (-c)',
  });
}

/**
 * The tables whose change topics exist in Kafka (`<prefix>.<schema>.<table>`), for a source with
 * `tables: all`: topics of that form that no processor writes and that are no side topic.
 */
export function sourceTablesIn(config: PipelineConfig, topics: readonly string[]): string[] {
  const prefix = `${sourcePrefix(config)}.`;
  const outputs = new Set(config.processors.map((p) => p.output));
  return topics
    .filter((topic) => topic.startsWith(prefix) && !outputs.has(topic))
    .map((topic) => topic.slice(prefix.length).split('.'))
    .filter((parts) => parts.length === 2 && !(parts[0] ?? '').startsWith('__'))
    .map((parts) => parts.join('.'))
    .sort();
}

export function topicGraph(config: PipelineConfig, table: TableName): TopicGraph {
  const sourceTopic = topicName(sourcePrefix(config), table.schema, table.name);
  const reached = new Set([sourceTopic]);
  const processors: ProcessorNode[] = [];
  // Breadth first, in file order within a hop; names are unique, so each is taken once.
  for (let grew = true; grew;) {
    grew = false;
    for (const p of config.processors) {
      if (!reached.has(p.input) || processors.some((known) => known.name === p.name)) continue;
      processors.push({
        name: p.name,
        kind: p.kind,
        input: p.input,
        output: p.output,
        deadLetters: dlqTopic(p.input),
        group: processorGroupId(p.name),
      });
      reached.add(p.output);
      grew = true;
    }
  }
  const sinks = config.sinks.flatMap((sink) =>
    sink.topics
      .filter((topic) => reached.has(topic))
      .map((topic): SinkNode => ({
        name: sink.name,
        kind: sink.kind,
        topic,
        deadLetters: dlqTopic(topic),
        conflicts: `${topic}${CONFLICT_TOPIC_SUFFIX}`,
        group: sinkGroupId(sink.name),
        config: sink,
      })),
  );
  return { table, sourceTopic, processors, sinks };
}

/** Every topic of the graph that holds the row's change events: the source's and each output. */
export function changeTopics(graph: TopicGraph): string[] {
  return [...new Set([graph.sourceTopic, ...graph.processors.map((p) => p.output)])];
}

/** The dead-letter and conflict topics of the graph (a processor's and a sink's on one topic are one). */
export function sideTopics(graph: TopicGraph): { deadLetters: string[]; conflicts: string[] } {
  return {
    deadLetters: [
      ...new Set([...graph.processors.map((p) => p.deadLetters), ...graph.sinks.map((s) => s.deadLetters)]),
    ],
    conflicts: [...new Set(graph.sinks.map((s) => s.conflicts))],
  };
}
