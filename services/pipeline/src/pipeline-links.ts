import type { z } from 'zod';
import { topicName } from '@cdc/source-postgres';

/**
 * Checks of the pipeline file across its sections (pipeline-config.ts runs them on the whole
 * file): unique names, processors that would read their own output, inputs in Debezium's envelope.
 */

interface ProcessorLinks {
  name?: unknown;
  input?: unknown;
  output?: unknown;
}

/**
 * Checks across processors. They run even when other settings are wrong (`when`), so that one
 * run lists every problem; the input may then be partly invalid, hence the defensive reading.
 */
export function checkProcessorLinks(
  config: { processors?: unknown; sinks?: unknown },
  ctx: z.RefinementCtx,
): void {
  const sinkNames = new Map<string, number>();
  (Array.isArray(config.sinks) ? (config.sinks as unknown[]) : []).forEach((item, index) => {
    const name = isRecord(item) ? item.name : undefined;
    if (typeof name !== 'string') return;
    const seen = sinkNames.get(name);
    if (seen !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sinks', index, 'name'],
        message: `'${name}' is also the name of sinks[${seen}]; names must be unique (they name consumer groups)`,
      });
    } else sinkNames.set(name, index);
  });
  const processors: unknown[] = Array.isArray(config.processors) ? config.processors : [];
  const names = new Map<string, number>();
  processors.forEach((item, index) => {
    if (!isRecord(item)) return;
    const p = item as ProcessorLinks;
    if (typeof p.name === 'string') {
      const seen = names.get(p.name);
      if (seen !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['processors', index, 'name'],
          message: `'${p.name}' is also the name of processors[${seen}]; names must be unique (they are consumer groups)`,
        });
      } else names.set(p.name, index);
    }
    if (typeof p.output !== 'string' || typeof p.input !== 'string') return;
    if (p.output === p.input) {
      ctx.addIssue({
        code: 'custom',
        path: ['processors', index, 'output'],
        message: 'must differ from input (a processor would read its own output forever)',
      });
    } else if (p.output === `${p.input}.dlq`) {
      ctx.addIssue({
        code: 'custom',
        path: ['processors', index, 'output'],
        message: `${p.output} is the dead-letter topic of the input; choose another output`,
      });
    }
  });
}

/**
 * The topics of the file's own source hold Debezium's envelope when it runs in that mode
 * (source.envelope: debezium), which our processors and sinks do not read: they need the version
 * (commit_lsn, seq), unchanged_fields and exact types of ours (docs/contracts.md). Refused here,
 * before a run would dead-letter every record. A topic of the source is `<name>.<schema>.<table>`
 * of a listed table or, with tables: all, any `<name>.<schema>.<table>` that no processor of the
 * file writes.
 */
export function checkDebeziumInputs(
  config: { source?: unknown; processors?: unknown; sinks?: unknown },
  ctx: z.RefinementCtx,
): void {
  const source = isRecord(config.source) ? config.source : undefined;
  if (source?.envelope !== 'debezium') return;
  const name = typeof source.name === 'string' ? source.name : 'cdc';
  const processors: unknown[] = Array.isArray(config.processors) ? config.processors : [];
  const sinks: unknown[] = Array.isArray(config.sinks) ? config.sinks : [];
  const outputs = new Set(processors.map((p) => (isRecord(p) ? p.output : undefined)));
  const listed = Array.isArray(source.tables)
    ? new Set(
        source.tables
          .filter((table): table is string => typeof table === 'string' && table.split('.').length === 2)
          .map((table) => topicName(name, table.split('.')[0]!, table.split('.')[1]!)),
      )
    : undefined;
  const fromSource = (topic: unknown): topic is string =>
    typeof topic === 'string' &&
    (listed
      ? listed.has(topic)
      : topic.startsWith(`${name}.`) && topic.slice(name.length + 1).includes('.') && !outputs.has(topic));
  const refuse = (topic: string, path: (string | number)[]) =>
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        `${topic} is a topic of this file's source, which writes Debezium's envelope (source.envelope: debezium); ` +
        'our processors and sinks read only the cdc envelope. Run a second source with envelope: cdc (its own ' +
        'name, slot and publication) and point them at its topics, or consume this topic with Debezium tooling',
    });
  processors.forEach((p, index) => {
    if (isRecord(p) && fromSource(p.input)) refuse(p.input, ['processors', index, 'input']);
  });
  sinks.forEach((sink, index) => {
    const topics: unknown[] = isRecord(sink) && Array.isArray(sink.topics) ? sink.topics : [];
    topics.forEach((topic, position) => {
      if (fromSource(topic)) refuse(topic, ['sinks', index, 'topics', position]);
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
