import { untilSignalled } from './until-signalled.ts';
import { errorMessage, type SinkRuntimeEvent } from '@cdc/core';
import { connectionsOf, findSink, loadPipelineConfig } from '@cdc/pipeline';
import { runSink } from '@cdc/sinks';

/**
 * `cdc sink run <name>`: runs one sink of the pipeline file until SIGTERM or SIGINT. The first
 * signal lets the batch in hand finish (or abandons its retries uncommitted) and leaves the group
 * (exit 0); a second exits 1 at once. Offsets are committed only after the target has the writes,
 * and every write is version-guarded, so whatever was in flight is simply written again.
 */
export async function runSinkCommand(
  file: string,
  name: string,
  options: { healthPort?: number; group?: string },
): Promise<number> {
  const config = await loadPipelineConfig(file);
  const sink = findSink(config, name);
  console.log(
    `sink ${sink.name} (${sink.kind}): ${sink.topics.join(', ')}; dead letters to <topic>.dlq, conflicts to <topic>.conflicts`,
  );
  const handle = await runSink(sink, connectionsOf(config), {
    ...(options.healthPort === undefined ? {} : { healthPort: options.healthPort }),
    ...(options.group === undefined ? {} : { groupId: options.group }),
    onEvent: print,
  });
  if (handle.healthPort !== undefined) {
    console.log(`health: http://127.0.0.1:${handle.healthPort}/health, /ready, /status`);
  }
  await untilSignalled(handle, 'stopping after the batch in hand ...');
  const { written, stale, skipped, failed, conflicts } = handle.runtime.counters;
  console.log(
    `stopped: ${written} written, ${stale} stale (already there), ${skipped} kept by policy, ${failed} dead-lettered, ${conflicts} conflicts`,
  );
  return 0;
}

function print(event: SinkRuntimeEvent): void {
  switch (event.kind) {
    case 'running':
      console.log('consuming');
      return;
    case 'retrying':
      console.error(`write failed, retrying in ${event.delayMs} ms: ${errorMessage(event.error)}`);
      return;
    case 'breaker':
      console.error(`circuit ${event.state}`);
      return;
    case 'stopped':
      return;
  }
}
