// Child process of bench/source.ts: runs one ChangeStream for the config given as JSON and reports
// its counters, CPU time and resident memory over IPC, so that the memory measured is the
// source's alone (not the writer's, nor the Kafka reader's of the parent).
import { silenceKnownKafkajsWarnings, startTelemetry } from '@cdc/core';
import { ChangeStream, type SourceConfig } from '@cdc/source-postgres';
import { peakRssMb } from './common.ts';

export interface WorkerReport {
  readonly kind: 'report';
  readonly atMs: number;
  readonly eventsSent: number;
  readonly transactionsAcknowledged: number;
  /** CPU time (user + system) of the process since it started, in ms. */
  readonly cpuMs: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
}

export type WorkerMessage =
  WorkerReport | { readonly kind: 'started' } | { readonly kind: 'failed'; readonly error: string };

const REPORT_MS = 50;
const send = (message: WorkerMessage) => process.send?.(message);

silenceKnownKafkajsWarnings();
// The config comes in BENCH_WORKER_INPUT (bench/source-process.ts) or as argv[2] (bench/bench-child.ts).
// Not on the command line for the tracing phase: the SDK's process detector copies the command
// line into every span's resource (process.command_args), and the CLI's is a few words.
const config = JSON.parse(process.env.BENCH_WORKER_INPUT ?? process.argv[2] ?? '{}') as SourceConfig;
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 1000);
// As `cdc source run` (services/cli/src/source-run.ts): the SDK the OTEL_* variables ask for,
// none without them (the tracing phase of bench/source.ts sets them), started before the stream.
const telemetry = await startTelemetry({ stage: 'source', kind: 'postgres', service: config.name });
const stream = new ChangeStream({ config, batchSize });
let peak = 0;

function report(): void {
  const rss = process.memoryUsage().rss / 2 ** 20;
  const cpu = process.cpuUsage();
  peak = Math.max(peak, rss, peakRssMb());
  send({
    kind: 'report',
    atMs: Date.now(),
    eventsSent: stream.counters.eventsSent,
    transactionsAcknowledged: stream.counters.transactionsAcknowledged,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: rss,
    peakRssMb: peak,
  });
}

stream.done.catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});

process.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  report();
  // The SDK flushes the last spans once the stream has stopped (their sends are acknowledged).
  void stream
    .stop()
    .finally(() => telemetry.shutdown())
    .finally(() => process.exit(0));
});

await stream.start();
send({ kind: 'started' });
setInterval(report, REPORT_MS);
