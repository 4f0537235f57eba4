// Child process of bench/processors.ts: runs one processor instance (runProcessor, as `cdc processor
// run` does) and reports its counters over IPC, so that the instance has its process to itself and
// the parent's event production and bookkeeping do not share its event loop.
import { silenceKnownKafkajsWarnings, startTelemetry } from '@cdc/core';
import {
  ProcessorRuntime,
  runProcessor,
  type ProcessorConnections,
  type ProcessorHandle,
  type ProcessorSpec,
} from '@cdc/processor';
import type { EventHandler } from '../services/processor/src/runtime/handler.ts';
import { TransformerHandler } from '../services/processor/src/runtime/transformer-handler.ts';
import { ValidatorHandler } from '../services/processor/src/runtime/validator-handler.ts';
import { peakRssMb } from './common.ts';

export interface WorkerInput {
  readonly spec: ProcessorSpec;
  readonly connections: ProcessorConnections;
  readonly groupId: string;
  /** Records in the input topic: the run is over once this many are consumed. */
  readonly expected: number;
  /**
   * Instead of the spec's handler, one that forwards every record's bytes untouched: the same
   * runtime (consumer group, produce, offsets, spans) with no decoding or rules, its ceiling.
   */
  readonly passThrough?: boolean;
}

export interface WorkerReport {
  readonly kind: 'report';
  readonly atMs: number;
  readonly consumed: number;
  readonly forwarded: number;
  readonly deadLettered: number;
  readonly batches: number;
  readonly retries: number;
  /** When the handler got its first batch (undefined before). */
  readonly firstBatchAtMs: number | undefined;
  /** When `consumed` first reached `expected`: the batch's outputs and offsets are committed. */
  readonly doneAtMs: number | undefined;
  /**
   * CPU time of the process (user + system) from the first batch to the end: less sensitive than
   * the wall clock to whatever else the machine runs meanwhile, so comparisons of changes use it.
   */
  readonly cpuMs: number | undefined;
  readonly peakRssMb: number;
}

export type WorkerMessage =
  WorkerReport | { readonly kind: 'started' } | { readonly kind: 'failed'; readonly error: string };

const REPORT_MS = 200;
// The end is detected by polling the counters: the finer the poll, the smaller the error on the
// measured time (a 5 ms check costs nothing next to a batch).
const DONE_POLL_MS = 5;

const send = (message: WorkerMessage) => process.send?.(message);

// runProcessor builds its handler itself; wrapping the handlers' prototypes is the only way to see
// when the first batch reaches the processor without adding a benchmark hook to the runtime.
let firstBatchAtMs: number | undefined;
let firstBatchCpu: NodeJS.CpuUsage | undefined;
for (const handler of [ValidatorHandler.prototype, TransformerHandler.prototype]) {
  const original: EventHandler['handleBatch'] = Reflect.get(handler, 'handleBatch');
  handler.handleBatch = function (this: EventHandler, events) {
    firstBatchAtMs ??= Date.now();
    firstBatchCpu ??= process.cpuUsage();
    return original.call(this, events);
  };
}

const passThrough: EventHandler = {
  handleBatch: (events) => {
    firstBatchAtMs ??= Date.now();
    firstBatchCpu ??= process.cpuUsage();
    return Promise.resolve(events.map((event) => ({ kind: 'forward', key: event.key, value: event.value })));
  },
};

/** The spec's runtime around the pass-through handler, started as runProcessor starts its own. */
async function runPassThrough(): Promise<Pick<ProcessorHandle, 'runtime' | 'stop' | 'done'>> {
  const runtime = new ProcessorRuntime({
    name: spec.name,
    input: spec.input,
    output: spec.output,
    delivery: spec.delivery,
    brokers: input.connections.brokers,
    handler: passThrough,
    groupId: input.groupId,
  });
  await runtime.start();
  return { runtime, stop: () => runtime.stop(), done: runtime.done };
}

silenceKnownKafkajsWarnings();
// In the environment (bench/processors.ts, runWorker), not on the command line: the SDK's process
// detector would copy the whole spec into every span (process.command_args).
const input = JSON.parse(process.env.BENCH_WORKER_INPUT ?? '{}') as WorkerInput;
// As `cdc processor run` (services/cli/src/processor-run.ts): the SDK the OTEL_* variables ask for,
// none without them (the tracing phase of bench/processors.ts sets them), started before the runtime.
const { spec } = input;
const telemetry = await startTelemetry({ stage: 'processor', kind: spec.kind, service: spec.name });
const handle = input.passThrough
  ? await runPassThrough()
  : await runProcessor(input.spec, input.connections, { groupId: input.groupId });
send({ kind: 'started' });

let doneAtMs: number | undefined;
let cpuMs: number | undefined;
function report(): void {
  const { consumed, forwarded, deadLettered, batches, retries } = handle.runtime.counters;
  send({
    kind: 'report',
    atMs: Date.now(),
    consumed,
    forwarded,
    deadLettered,
    batches,
    retries,
    firstBatchAtMs,
    doneAtMs,
    cpuMs,
    peakRssMb: peakRssMb(),
  });
}

handle.done.catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});

const poll = setInterval(() => {
  if (doneAtMs !== undefined || handle.runtime.counters.consumed < input.expected) return;
  doneAtMs = Date.now();
  const cpu = process.cpuUsage(firstBatchCpu);
  cpuMs = (cpu.user + cpu.system) / 1000;
  clearInterval(poll);
  report();
}, DONE_POLL_MS);
setInterval(report, REPORT_MS);

process.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  report();
  // The SDK flushes the last spans once the runtime has stopped.
  void handle
    .stop()
    .finally(() => telemetry.shutdown())
    .finally(() => process.exit(0));
});
