// Child process of bench/sinks.ts: runs one SinkRuntime around a sink of any kind and
// reports over IPC, so that the figures are the sink's alone (not the event production's, the
// source's or the writers' of the parent). A thin wrapper around the sink sees every write: when
// the first began, when the outcomes reached the expected count, and per written event the time
// from its commit at the source to the end of its write.
import {
  SinkRuntime,
  readStackEnv,
  silenceKnownKafkajsWarnings,
  type Sink,
  type SinkEvent,
  type WriteOutcome,
} from '@cdc/core';
import { createSink, sinkSchema, stackTargets } from '../services/sinks/src/index.ts';
import { machineBusySince, machineCpu, peakRssMb, type MachineCpu } from './common.ts';

export interface WorkerInput {
  /** The sink's kind, for labels (the entry says it too). */
  readonly kind: string;
  /** The sink's `sinks:` entry. */
  readonly sink: Record<string, unknown>;
  readonly topics: readonly string[];
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly groupId: string;
  /** Events (written + stale + failed outcomes) after which the run is over. */
  readonly expected: number;
  /** Record the commit-to-written latency of each written event, by the event key's `id`. */
  readonly latencies: boolean;
}

export interface WorkerReport {
  readonly kind: 'report';
  readonly atMs: number;
  /** Outcomes so far: written, stale, skipped and failed events. */
  readonly settled: number;
  readonly written: number;
  readonly stale: number;
  readonly failed: number;
  readonly batches: number;
  readonly retries: number;
  /** When the first write call began (undefined before). */
  readonly firstWriteAtMs: number | undefined;
  /** When the write that brought `settled` to `expected` returned. */
  readonly doneAtMs: number | undefined;
  /** CPU time of the process (user + system) from the first write to the end. */
  readonly cpuMs: number | undefined;
  /**
   * How busy the main thread was over the same time (0 to 1, performance.eventLoopUtilization):
   * below the CPU the process used, the rest went to V8's helper threads (garbage collection).
   */
  readonly mainThreadBusy: number | undefined;
  /** How busy the whole machine was over the same time (common.ts machineBusySince). */
  readonly machineBusy: number | undefined;
  readonly peakRssMb: number;
}

export interface WorkerLatencies {
  readonly kind: 'latencies';
  /** Row ids (the event key's `id`) and, at the same index, commit -> written milliseconds. */
  readonly ids: number[];
  readonly ms: number[];
}

export type WorkerMessage =
  | WorkerReport
  | WorkerLatencies
  | { readonly kind: 'started' }
  | { readonly kind: 'failed'; readonly error: string };

const REPORT_MS = 200;
const send = (message: WorkerMessage) => process.send?.(message);

/** The sink of any registered kind (services/sinks/src/kinds.ts), as `cdc sink run` makes it. */
function sinkOf(input: WorkerInput): Sink {
  return createSink(sinkSchema.parse(input.sink), {
    brokers: input.brokers,
    registryUrl: input.registryUrl,
    targets: stackTargets(readStackEnv()),
  });
}

silenceKnownKafkajsWarnings();
const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
const inner = sinkOf(input);

let firstWriteAtMs: number | undefined;
let firstWriteCpu: NodeJS.CpuUsage | undefined;
let firstWriteLoop: ReturnType<typeof performance.eventLoopUtilization> | undefined;
let firstWriteMachine: MachineCpu | undefined;
let mainThreadBusy: number | undefined;
let machineBusy: number | undefined;
let doneAtMs: number | undefined;
let cpuMs: number | undefined;
let settled = 0;
const ids: number[] = [];
const ms: number[] = [];

const timed: Sink = {
  name: inner.name,
  start: () => inner.start(),
  close: () => inner.close(),
  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    firstWriteAtMs ??= Date.now();
    firstWriteCpu ??= process.cpuUsage();
    firstWriteLoop ??= performance.eventLoopUtilization();
    firstWriteMachine ??= machineCpu();
    const outcomes = await inner.write(events);
    const now = Date.now();
    settled += outcomes.length;
    if (input.latencies) {
      outcomes.forEach((outcome, i) => {
        if (outcome.kind !== 'written') return;
        const event = events[i] as SinkEvent;
        ids.push(Number(event.key.id));
        ms.push(now - event.commitTimeMs);
      });
    }
    if (doneAtMs === undefined && settled >= input.expected) {
      doneAtMs = now;
      const cpu = process.cpuUsage(firstWriteCpu);
      cpuMs = (cpu.user + cpu.system) / 1000;
      mainThreadBusy = performance.eventLoopUtilization(firstWriteLoop).utilization;
      machineBusy = machineBusySince(firstWriteMachine);
      setImmediate(finish);
    }
    return outcomes;
  },
};

const runtime = new SinkRuntime({
  sink: timed,
  topics: input.topics,
  brokers: input.brokers,
  registryUrl: input.registryUrl,
  groupId: input.groupId,
  // Experiments only (the benchmark measures the runtime's defaults): BENCH_SINK_CONCURRENCY,
  // BENCH_SINK_MAX_BYTES.
  ...(process.env.BENCH_SINK_CONCURRENCY
    ? { partitionsConcurrently: Number(process.env.BENCH_SINK_CONCURRENCY) }
    : {}),
  ...(process.env.BENCH_SINK_MAX_BYTES
    ? { maxBytesPerPartition: Number(process.env.BENCH_SINK_MAX_BYTES) }
    : {}),
});

function report(): void {
  const { written, stale, failed, batches, retries } = runtime.counters;
  send({
    kind: 'report',
    atMs: Date.now(),
    settled,
    written,
    stale,
    failed,
    batches,
    retries,
    firstWriteAtMs,
    doneAtMs,
    cpuMs,
    mainThreadBusy,
    machineBusy,
    peakRssMb: peakRssMb(),
  });
}

function finish(): void {
  if (input.latencies) send({ kind: 'latencies', ids, ms });
  report();
}

runtime.done.catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});

process.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  void runtime.stop().finally(() => process.exit(0));
});

await runtime.start();
send({ kind: 'started' });
setInterval(report, REPORT_MS);
