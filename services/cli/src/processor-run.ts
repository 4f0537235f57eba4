import { withTelemetry } from './telemetry.ts';
import { startStoppable, untilSignalled } from './until-signalled.ts';
import { describeWaitEvent } from '@cdc/core';
import { runProcessor, type ProcessorEvent } from '@cdc/processor';
import { findProcessor, loadPipelineConfig } from '@cdc/pipeline';

/**
 * `cdc processor run <name>`: runs one processor of the pipeline file until SIGTERM or SIGINT.
 * The first signal lets the batch in hand finish and commit, then leaves the consumer group
 * (exit 0); a second exits 1 at once. Offsets are committed only with the outputs, so whatever
 * was in flight is processed again by whoever takes the partition over. Its input topic, Kafka,
 * the registry and Redis are waited for as long as they are away, one line per attempt; only what
 * an operator must fix ends it (exit 75, with the fix).
 */
export async function runProcessorCommand(
  file: string,
  name: string,
  options: { healthPort?: number; group?: string },
): Promise<number> {
  const config = await loadPipelineConfig(file);
  const spec = findProcessor(config, name);
  console.log(
    `processor ${spec.name} (${spec.kind}, ${spec.delivery}): ${spec.input} -> ${spec.output}, dead letters to ${spec.input}.dlq`,
  );
  return withTelemetry({ stage: 'processor', kind: spec.kind, service: spec.name }, async (publish) => {
    const handle = await startStoppable((signal) =>
      runProcessor(
        spec,
        { brokers: config.kafka.brokers, registryUrl: config.registry.url, redisUrl: config.redis.url },
        {
          ...(options.healthPort === undefined ? {} : { healthPort: options.healthPort }),
          ...(options.group === undefined ? {} : { groupId: options.group }),
          onEvent: print,
          signal,
          onHealthServer: (port) =>
            console.log(`health: http://127.0.0.1:${port}/health, /ready, /status, /metrics`),
        },
      ),
    );
    publish(handle.metrics);
    await untilSignalled(handle, 'stopping after the batch in hand ...');
    const { consumed, forwarded, deadLettered } = handle.runtime.counters;
    console.log(`stopped: ${consumed} consumed, ${forwarded} forwarded, ${deadLettered} dead-lettered`);
    return 0;
  });
}

function print(event: ProcessorEvent): void {
  switch (event.kind) {
    case 'running':
      console.log(`consuming (${event.partitions} partitions)`);
      return;
    case 'waiting':
      console.error(describeWaitEvent(event));
      return;
    case 'resumed':
      console.log(describeWaitEvent(event));
      return;
    case 'stopped':
      return;
  }
}
