import { withTelemetry } from './telemetry.ts';
import { startStoppable, untilSignalled } from './until-signalled.ts';
import { describeWaitEvent, type SinkRuntimeEvent } from '@cdc/core';
import { connectionsOf, findSink, loadPipelineConfig } from '@cdc/pipeline';
import { runSink } from '@cdc/sinks';

/**
 * `cdc sink run <name>`: runs one sink of the pipeline file until SIGTERM or SIGINT. The first
 * signal lets the batch in hand finish (or abandons its retries uncommitted) and leaves the group
 * (exit 0); a second exits 1 at once. Offsets are committed only after the target has the writes,
 * and every write is version-guarded, so whatever was in flight is simply written again. Its
 * topics, its target, the registry and Kafka are waited for as long as they are away, one line per
 * attempt; only what an operator must fix ends it (exit 75, with the fix).
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
  return withTelemetry({ stage: 'sink', kind: sink.kind, service: sink.name }, async (publish) => {
    const handle = await startStoppable((signal) =>
      runSink(sink, connectionsOf(config), {
        ...(options.healthPort === undefined ? {} : { healthPort: options.healthPort }),
        ...(options.group === undefined ? {} : { groupId: options.group }),
        path: `sinks[${config.sinks.indexOf(sink)}]`,
        onEvent: print,
        signal,
        onHealthServer: (port) =>
          console.log(`health: http://127.0.0.1:${port}/health, /ready, /status, /metrics`),
      }),
    );
    publish(handle.metrics);
    await untilSignalled(handle, 'stopping after the batch in hand ...');
    const { written, stale, skipped, failed, conflicts } = handle.runtime.counters;
    console.log(
      `stopped: ${written} written, ${stale} stale (already there), ${skipped} kept by policy, ${failed} dead-lettered, ${conflicts} conflicts`,
    );
    return 0;
  });
}

function print(event: SinkRuntimeEvent): void {
  switch (event.kind) {
    case 'running':
      console.log('consuming');
      return;
    case 'waiting':
      console.error(describeWaitEvent(event));
      return;
    case 'resumed':
      console.log(describeWaitEvent(event));
      return;
    case 'breaker':
      console.error(`circuit ${event.state}`);
      return;
    case 'stopped':
      return;
  }
}
