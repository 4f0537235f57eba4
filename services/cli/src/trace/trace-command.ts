import { RegistryCodec, kafkaClient } from '@cdc/core';
import { loadPipelineConfig, type PipelineConfig } from '@cdc/pipeline';
import { analyseTrace, tracedEvents } from './hop-analysis.ts';
import { groupPositions, targetVersions } from './hop-state.ts';
import { changeRecords, conflictFacts, deadLetterFacts } from './record-facts.ts';
import { renderNotFound, renderTrace } from './render-trace.ts';
import { scanProgress } from './scan-progress.ts';
import { TopicSearch, type SearchResult } from './topic-search.ts';
import {
  changeTopics,
  checkCaptured,
  sideTopics,
  sourceTablesIn,
  topicGraph,
  unknownTable,
} from './topic-graph.ts';
import { describeKey, parseDuration, parseKey, parseTableName } from './trace-arguments.ts';
import type { ChangeRecord, TraceFacts, TraceLookup } from './trace-facts.ts';
import { lookupTrace } from './zipkin.ts';

export interface TraceOptions {
  readonly json?: boolean;
  /** Only records since this long ago (`30m`, `12h`); default: whole topics. */
  readonly since?: string;
  /** How many of the newest events of the row to follow. */
  readonly last: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `cdc trace <table> <key>`: where a row's changes went. Finds the key's events in the table's
 * change topic, then, on the same partitions only (every hop keeps the partition number), in
 * each topic downstream: processor outputs, dead letters, conflict records. Consumer group
 * offsets tell handled from pending, each sink's target says which version it holds, and the
 * tracing UI (ZIPKIN_URL), when it has the trace, what each sink did. Exit code 1 when the
 * source topic holds no event of the key.
 */
export async function traceCommand(
  file: string,
  tableText: string,
  keyText: string,
  options: TraceOptions,
): Promise<number> {
  const env = options.env ?? process.env;
  const table = parseTableName(tableText);
  const wanted = parseKey(keyText);
  const sinceMs = options.since === undefined ? null : Date.now() - parseDuration(options.since);
  const config = await loadPipelineConfig(file);
  checkCaptured(config, table);
  const graph = topicGraph(config, table);
  const kafka = kafkaClient(config.kafka.brokers, { clientId: 'cdc-trace' });
  const codec = new RegistryCodec(config.registry.url);
  const admin = kafka.admin();
  const progress = scanProgress();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    if (!existing.has(graph.sourceTopic) && !isListed(config)) {
      const name = `${graph.table.schema}.${graph.table.name}`;
      throw unknownTable(
        name,
        sourceTablesIn(config, [...existing]),
        `Kafka has no topic ${graph.sourceTopic}`,
      );
    }
    const search = new TopicSearch(kafka, admin, codec, wanted, existing, { sinceMs, progress });
    const source = await search.find(graph.sourceTopic);
    const partitions = [...new Set(source.records.map((r) => r.partition))];
    const { deadLetters, conflicts } = sideTopics(graph);
    const downstream =
      partitions.length === 0
        ? []
        : await Promise.all(
            [...changeTopics(graph).slice(1), ...deadLetters, ...conflicts].map((topic) =>
              search.find(topic, partitions),
            ),
          );
    progress.stop();
    const found = new Map<string, SearchResult>([source, ...downstream].map((r) => [r.topic, r]));
    const changes = new Map<string, ChangeRecord[]>();
    for (const topic of changeTopics(graph))
      changes.set(topic, await changeRecords(codec, found.get(topic)?.records ?? []));
    const traced = tracedEvents(changes.get(graph.sourceTopic) ?? [], options.last);
    const tracingUrl = env.ZIPKIN_URL ? env.ZIPKIN_URL.replace(/\/+$/u, '') : null;
    const anyKey = source.records[0]?.key ?? {};
    const facts: TraceFacts = {
      graph,
      key: describeKey(wanted),
      sinceMs,
      last: options.last,
      changes,
      deadLetters: new Map(deadLetters.map((t) => [t, deadLetterFacts(found.get(t)?.records ?? [])])),
      conflicts: new Map(conflicts.map((t) => [t, conflictFacts(found.get(t)?.records ?? [])])),
      positions:
        partitions.length === 0 ? new Map() : await groupPositions(admin, graph, existing, partitions),
      targets:
        partitions.length === 0
          ? new Map()
          : await targetVersions(config, graph, (node) => found.get(node.topic)?.records[0]?.key ?? anyKey),
      traces: tracingUrl === null ? new Map() : await lookupTraces(tracingUrl, traced),
      tracingUrl,
    };
    const report = analyseTrace(facts);
    if (options.json) console.log(JSON.stringify(report, null, 2));
    if (!report.found) {
      const message = renderNotFound(report, {
        topic: graph.sourceTopic,
        exists: source.exists,
        partitions: source.partitions,
        keyFields: source.keyFields,
      });
      if (options.json) console.error(message);
      else console.log(message);
      return 1;
    }
    if (!options.json) console.log(renderTrace(report));
    return 0;
  } finally {
    progress.stop();
    await admin.disconnect();
  }
}

/**
 * Whether the file lists the table among those its source captures (checkCaptured refused it
 * otherwise): its topic is then merely not made yet (the source makes it with the first change).
 */
function isListed(config: PipelineConfig): boolean {
  const tables = config.source?.tables;
  return tables !== undefined && tables !== 'all';
}

async function lookupTraces(url: string, events: readonly ChangeRecord[]): Promise<Map<string, TraceLookup>> {
  const ids = [...new Set(events.flatMap((e) => (e.traceId ? [e.traceId] : [])))];
  const lookups = new Map<string, TraceLookup>();
  // One at a time: a handful of small requests, and a tracing UI is no place for a burst.
  for (const id of ids) lookups.set(id, await lookupTrace(url, id));
  return lookups;
}
