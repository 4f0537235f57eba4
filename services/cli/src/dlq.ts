import type { Kafka } from 'kafkajs';
import {
  dlqTopic,
  kafkaClient,
  listDeadLetters,
  redriveDeadLetters,
  type DeadLetter,
  type DeadLetterReason,
} from '@cdc/core';
import { loadPipelineConfig } from '@cdc/pipeline';

/** `orders` and `orders.dlq` both name the dead-letter topic of `orders`. */
export function deadLetterTopicOf(topic: string): string {
  return topic.endsWith('.dlq') ? topic : dlqTopic(topic);
}

async function connect(file: string): Promise<Kafka> {
  const config = await loadPipelineConfig(file);
  return kafkaClient(config.kafka.brokers, { clientId: 'cdc-dlq' });
}

/** `cdc dlq list <topic>`: the dead letters from the beginning of the topic to its current end. */
export async function listDeadLettersCommand(
  file: string,
  topic: string,
  options: { limit?: number; json?: boolean },
): Promise<number> {
  const dlq = deadLetterTopicOf(topic);
  const entries = await listDeadLetters(
    await connect(file),
    dlq,
    options.limit === undefined ? {} : { limit: options.limit },
  );
  if (options.json) {
    console.log(JSON.stringify(entries.map(toJson), null, 2));
    return 0;
  }
  if (entries.length === 0) {
    console.log(`${dlq} holds no dead letters`);
    return 0;
  }
  console.log(formatTable(entries));
  const more = options.limit !== undefined && entries.length >= options.limit;
  console.log(
    `\n${entries.length} dead letter${entries.length === 1 ? '' : 's'} in ${dlq}${more ? ` (--limit ${options.limit} reached; there may be more)` : ''}`,
  );
  return 0;
}

/** `cdc dlq redrive <topic>`: publishes the dead letters again to the topics they came from. */
export async function redriveCommand(
  file: string,
  topic: string,
  options: { dryRun?: boolean; rule?: string },
): Promise<number> {
  const dlq = deadLetterTopicOf(topic);
  const { rule } = options;
  const result = await redriveDeadLetters(await connect(file), dlq, {
    ...(rule === undefined ? {} : { filter: (entry) => entry.reasons.some((r) => r.rule === rule) }),
    dryRun: options.dryRun ?? false,
  });
  const which = rule === undefined ? '' : ` refused by rule ${rule}`;
  const targets = Object.entries(result.byTopic)
    .map(([name, count]) => `${count} to ${name}`)
    .join(', ');
  const routable = result.matched - result.unroutable;
  console.log(
    options.dryRun
      ? `dry run: would redrive ${routable} of ${result.read} dead letters${which}${targets ? ` (${targets})` : ''}`
      : `redriven ${result.published} of ${result.read} dead letters${which}${targets ? ` (${targets})` : ''}`,
  );
  if (result.unroutable > 0)
    console.log(`${result.unroutable} matching dead letters have no origin headers and were left alone`);
  if (routable > 0) {
    console.log(
      `every consumer of ${Object.keys(result.byTopic).join(', ')} sees these records again; processors and sinks ` +
        `apply a version once, so this is safe. The dead letters stay in ${dlq}; a record refused again becomes a new one.`,
    );
  }
  return 0;
}

function toJson(entry: DeadLetter) {
  return {
    partition: entry.partition,
    offset: entry.offset,
    key: entry.key?.toString('base64') ?? null,
    valueBytes: entry.value?.length ?? null,
    reasons: entry.reasons,
    processor: entry.processor,
    origin: entry.origin,
    at: entry.at?.toISOString() ?? null,
  };
}

function formatTable(entries: readonly DeadLetter[]): string {
  const rows: string[][] = [['PARTITION/OFFSET', 'AT', 'ORIGIN', 'PROCESSOR', 'REASONS']];
  for (const entry of entries) {
    const reasons =
      entry.reasons.length > 0 ? entry.reasons : [{ rule: '?', field: null, message: 'no reason given' }];
    reasons.forEach((reason, i) => {
      const lead =
        i === 0
          ? [
              `${entry.partition}/${entry.offset}`,
              entry.at?.toISOString() ?? '?',
              entry.origin ? `${entry.origin.topic} ${entry.origin.partition}/${entry.origin.offset}` : '?',
              entry.processor ?? '?',
            ]
          : ['', '', '', ''];
      rows.push([...lead, describeReason(reason)]);
    });
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `decode [value, schema id 42]: value: schema id 42 is not in the registry`, `format email: ...`. */
export function describeReason(reason: DeadLetterReason): string {
  const field = reason.field === null ? '' : ` ${reason.field}`;
  const part =
    reason.part === undefined
      ? ''
      : ` [${reason.part}, ${reason.schema_id === null || reason.schema_id === undefined ? 'no schema id' : `schema id ${reason.schema_id}`}]`;
  return `${reason.rule}${field}${part}: ${reason.message}`;
}
