// Child process of bench/source.ts: runs one ChangeStream for the config given as JSON in argv[2]
// and reports its counters and its own resident memory over IPC, so that the memory measured is
// the source's alone (not the writer's, nor the Kafka reader's of the parent).
import { silenceKnownKafkajsWarnings } from '@cdc/core';
import { ChangeStream, type SourceConfig } from '@cdc/source-postgres';
import { peakRssMb } from './common.ts';

export interface WorkerReport {
  readonly kind: 'report';
  readonly atMs: number;
  readonly eventsSent: number;
  readonly transactionsAcknowledged: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
}

export type WorkerMessage =
  WorkerReport | { readonly kind: 'started' } | { readonly kind: 'failed'; readonly error: string };

const REPORT_MS = 50;
const send = (message: WorkerMessage) => process.send?.(message);

/** The kernel's high-water mark of this process's resident set, in MB (Linux only). */
silenceKnownKafkajsWarnings();
const config = JSON.parse(process.argv[2] ?? '{}') as SourceConfig;
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 1000);
const stream = new ChangeStream({ config, batchSize });
let peak = 0;

function report(): void {
  const rss = process.memoryUsage().rss / 2 ** 20;
  peak = Math.max(peak, rss, peakRssMb());
  send({
    kind: 'report',
    atMs: Date.now(),
    eventsSent: stream.counters.eventsSent,
    transactionsAcknowledged: stream.counters.transactionsAcknowledged,
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
  void stream.stop().finally(() => process.exit(0));
});

await stream.start();
send({ kind: 'started' });
setInterval(report, REPORT_MS);
