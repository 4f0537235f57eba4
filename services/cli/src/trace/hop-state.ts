import type { Admin } from 'kafkajs';
import { errorMessage, type SinkRow } from '@cdc/core';
import { connectionsOf, type PipelineConfig } from '@cdc/pipeline';
import { createSink } from '@cdc/sinks';
import type { SinkNode, TopicGraph } from './topic-graph.ts';
import { positionKey, type GroupPosition, type TargetFact } from './trace-facts.ts';

// The state of the hops that records do not show: where each consumer group is, and what each
// sink's target holds for the row.

/** Committed offsets and heads of the groups of the graph, on the partitions that hold the row. */
export async function groupPositions(
  admin: Admin,
  graph: TopicGraph,
  existing: ReadonlySet<string>,
  partitions: readonly number[],
): Promise<Map<string, GroupPosition>> {
  const reads = [
    ...graph.processors.map((p) => ({ group: p.group, topic: p.input })),
    ...graph.sinks.map((s) => ({ group: s.group, topic: s.topic })),
  ].filter(({ topic }) => existing.has(topic));
  const positions = new Map<string, GroupPosition>();
  await Promise.all(
    reads.map(async ({ group, topic }) => {
      const [[committed], heads] = await Promise.all([
        admin.fetchOffsets({ groupId: group, topics: [topic] }),
        admin.fetchTopicOffsets(topic),
      ]);
      for (const partition of partitions) {
        const head = heads.find((h) => h.partition === partition)?.high;
        if (head === undefined) continue;
        const offset = committed?.partitions.find((p) => p.partition === partition)?.offset;
        positions.set(positionKey(group, topic, partition), {
          committed: offset !== undefined && BigInt(offset) >= 0n ? offset : null,
          head,
        });
      }
    }),
  );
  return positions;
}

/**
 * What each sink's target holds for the row (Sink.versionOf), by sink name. The sink is made
 * from its pipeline entry but never started: nothing is prepared or written on the target.
 */
export async function targetVersions(
  config: PipelineConfig,
  graph: TopicGraph,
  keyOf: (node: SinkNode) => SinkRow,
): Promise<Map<string, TargetFact>> {
  const nodes = graph.sinks.filter((node, i) => graph.sinks.findIndex((n) => n.name === node.name) === i);
  const facts = await Promise.all(
    nodes.map(async (node): Promise<[string, TargetFact]> => [
      node.name,
      await targetVersion(config, graph, node, keyOf(node)),
    ]),
  );
  return new Map(facts);
}

async function targetVersion(
  config: PipelineConfig,
  graph: TopicGraph,
  node: SinkNode,
  key: SinkRow,
): Promise<TargetFact> {
  let sink;
  try {
    sink = createSink(node.config, connectionsOf(config), `sinks[${config.sinks.indexOf(node.config)}]`);
  } catch (error) {
    return { kind: 'unreadable', reason: errorMessage(error) };
  }
  try {
    if (!sink.versionOf) return { kind: 'cannot_tell' };
    const version = await sink.versionOf({ topic: node.topic, key, table: graph.table });
    if (version === undefined) return { kind: 'cannot_tell' };
    return version === null ? { kind: 'nothing' } : { kind: 'holds', version };
  } catch (error) {
    return { kind: 'unreadable', reason: errorMessage(error) };
  } finally {
    await sink.close().catch(() => undefined);
  }
}
