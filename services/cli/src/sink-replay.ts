import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets } from 'cli-progress';
import type { Kafka } from 'kafkajs';
import {
  CdcError,
  describeWaitEvent,
  errorMessage,
  groupProgress,
  kafkaClient,
  rewindGroup,
  sinkGroupId,
  unreadRecords,
  type GroupProgress,
  type RewindTarget,
  type RewoundPartition,
  type SinkCounters,
  type SinkRuntimeEvent,
} from '@cdc/core';
import { connectionsOf, findSink, loadPipelineConfig } from '@cdc/pipeline';

const POLL_MS = 500;

/** `beginning`, an offset (the same on every partition) or an ISO 8601 time. */
export function parseReplayFrom(text: string): RewindTarget {
  if (text === 'beginning') return { kind: 'beginning' };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: text };
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isFinite(ms)) return { kind: 'timestamp', ms };
  throw new CdcError('INVALID_ARGUMENT', `--from ${text}: not beginning, an offset or an ISO 8601 time`, {
    fix: 'use --from beginning, --from 1200 (an offset on every partition) or --from 2024-05-01T08:00:00Z',
  });
}

/**
 * `cdc sink replay <name>`: moves the sink's consumer group back, then (unless told not to) runs
 * the sink here until it has caught up with the head of its topics as they were, and stops it.
 * Sinks apply each version once, so what the target already holds is counted as stale and left
 * as it is; what it lost or never got is written again. The sink must not be running elsewhere:
 * its next offset commit would undo the rewind (rewindGroup refuses while the group has members).
 */
export async function replaySinkCommand(
  file: string,
  name: string,
  options: { from: string; run: boolean },
): Promise<number> {
  const to = parseReplayFrom(options.from);
  const config = await loadPipelineConfig(file);
  const sink = findSink(config, name);
  const groupId = sinkGroupId(sink.name);
  const kafka = kafkaClient(config.kafka.brokers, { clientId: 'cdc-replay' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const rewound = await rewindGroup(admin, { groupId, topics: sink.topics, to });
    const start = await groupProgress(admin, groupId, sink.topics);
    console.log(`rewound consumer group ${groupId} (${describeTarget(to)}):`);
    console.log(formatRewound(rewound));
    if (!options.run) {
      console.log(`\n${start.remaining} offsets to replay. Start the sink to replay them:`);
      console.log(`  cdc sink run ${sink.name} -c ${file}`);
      return 0;
    }
    if (start.remaining === 0) {
      console.log('\nnothing to replay: the group is at the head of every partition');
      return 0;
    }
    return await runUntilCaughtUp(kafka, admin, groupId, sink.topics, start, (onEvent) =>
      import('@cdc/sinks').then(({ runSink }) => runSink(sink, connectionsOf(config), { onEvent })),
    );
  } finally {
    await admin.disconnect();
  }
}

interface RunningSink {
  readonly runtime: { readonly counters: SinkCounters };
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

async function runUntilCaughtUp(
  kafka: Kafka,
  admin: ReturnType<Kafka['admin']>,
  groupId: string,
  topics: readonly string[],
  start: GroupProgress,
  launch: (onEvent: (event: SinkRuntimeEvent) => void) => Promise<RunningSink>,
): Promise<number> {
  const bars = new MultiBar(
    {
      format:
        'replay [{bar}] {percentage}% | {value}/{total} offsets | {written} written, {stale} stale, {failed} dead',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  const handle = await launch((event) => {
    if (event.kind === 'waiting' || event.kind === 'resumed') bars.log(`${describeWaitEvent(event)}\n`);
    if (event.kind === 'breaker') bars.log(`circuit ${event.state}\n`);
  });
  let failure: unknown;
  handle.done.catch((error: unknown) => (failure ??= error));
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(1);
    interrupted = true;
    bars.log(`${signal}: stopping the sink after the batch in hand ...\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = bars.create(start.remaining, 0, counts(handle.runtime.counters));
  let progress = start;
  try {
    let unchanged = 0;
    let checkAfter = 4;
    for (;;) {
      await sleep(POLL_MS);
      if (interrupted || failure !== undefined) break;
      const previous = progress.remaining;
      progress = await groupProgress(admin, groupId, topics);
      bar.setTotal(Math.max(progress.head - start.committed, 1));
      bar.update(progress.committed - start.committed, counts(handle.runtime.counters));
      if (progress.remaining === 0) break;
      unchanged = progress.remaining === previous ? unchanged + 1 : 0;
      // Stuck a few offsets short: those may be transaction markers, which no consumer receives
      // and so no commit passes. Count what is really left, and look again later if anything is.
      if (unchanged >= checkAfter) {
        if ((await unreadRecords(kafka, progress)) === 0) {
          bar.update(bar.getTotal()); // the offsets left are markers: nothing more to read
          break;
        }
        unchanged = 0;
        checkAfter = Math.min(checkAfter * 2, 60);
      }
    }
  } finally {
    bars.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await handle.stop().catch((error: unknown) => (failure ??= error));
  }
  const { consumed, written, stale, skipped, failed, conflicts } = handle.runtime.counters;
  const summary = `${consumed} records: ${written} written, ${stale} stale (already there), ${skipped} kept by policy, ${failed} dead-lettered, ${conflicts} conflicts`;
  if (failure !== undefined) {
    console.log(`the sink stopped with ${progress.remaining} offsets to go; ${summary}`);
    throw failure instanceof Error ? failure : new Error(errorMessage(failure));
  }
  if (interrupted) {
    console.log(`interrupted with ${progress.remaining} offsets to go; ${summary}`);
    console.log('the sink resumes from there the next time it runs');
    return 1;
  }
  console.log(`replayed ${summary}`);
  return 0;
}

function counts(counters: SinkCounters) {
  return { written: counters.written, stale: counters.stale, failed: counters.failed };
}

function describeTarget(to: RewindTarget): string {
  switch (to.kind) {
    case 'beginning':
      return 'to the beginning';
    case 'offset':
      return `to offset ${to.offset} on every partition`;
    case 'timestamp':
      return `to the first records at or after ${new Date(to.ms).toISOString()}`;
  }
}

function formatRewound(rewound: readonly RewoundPartition[]): string {
  return rewound.map((r) => `  ${r.topic} ${r.partition}: ${r.from ?? '(none)'} -> ${r.to}`).join('\n');
}
