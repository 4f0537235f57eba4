// The throughput of one sink in `npm run bench:sinks`: a fresh consumer group reads a topic from
// the beginning in the sink worker (bench/sink-worker.ts), alone in its process.
import { progress, sinkWorker } from './bench-child.ts';
import { round } from './common.ts';
import { NAMESPACE, brokers, run, stack } from './sink-bench-context.ts';
import type { WorkerInput, WorkerReport } from './sink-worker.ts';

export interface ThroughputResult {
  readonly eventsPerS: number;
  readonly seconds: number;
  readonly written: number;
  readonly stale: number;
  readonly failed: number;
  readonly batches: number;
  readonly cpuUsPerEvent: number;
  /** The sink worker's main thread: busy this fraction of the time (WorkerReport.mainThreadBusy). */
  readonly mainThreadBusy: number;
  /** The whole machine: busy this fraction of the time (WorkerReport.machineBusy). */
  readonly machineBusy: number;
  readonly peakRssMb: number;
}

export async function throughput(
  phase: string,
  kind: WorkerInput['kind'],
  topic: string,
  expected: number,
  sink: Record<string, unknown>,
): Promise<ThroughputResult> {
  const label = `(${phase}) ${kind}`;
  const worker = sinkWorker(`${phase}-${kind}`, {
    kind,
    sink,
    topics: [topic],
    brokers,
    registryUrl: stack.SCHEMA_REGISTRY_URL,
    groupId: `${NAMESPACE}-${run}-${phase}-${kind}`,
    expected,
    latencies: false,
  });
  try {
    await worker.until(
      (message) => message.kind === 'report' && message.doneAtMs !== undefined,
      () => {
        const report = worker.latest('report');
        progress(label, report, expected);
        return report?.settled ?? 0;
      },
    );
    process.stderr.write('\n');
    const report = worker.latest('report') as WorkerReport;
    const seconds = ((report.doneAtMs as number) - (report.firstWriteAtMs as number)) / 1000;
    return {
      eventsPerS: report.settled / seconds,
      seconds,
      written: report.written,
      stale: report.stale,
      failed: report.failed,
      batches: report.batches,
      cpuUsPerEvent: ((report.cpuMs ?? Number.NaN) * 1000) / report.settled,
      mainThreadBusy: report.mainThreadBusy ?? Number.NaN,
      machineBusy: report.machineBusy ?? Number.NaN,
      peakRssMb: report.peakRssMb,
    };
  } finally {
    await worker.stop();
  }
}

/** A phase that did not run. */
export const NOT_MEASURED: ThroughputResult = {
  eventsPerS: Number.NaN,
  seconds: Number.NaN,
  written: 0,
  stale: 0,
  failed: 0,
  batches: 0,
  cpuUsPerEvent: Number.NaN,
  mainThreadBusy: Number.NaN,
  machineBusy: Number.NaN,
  peakRssMb: Number.NaN,
};

/** A sink run, for the notes of BENCHMARKS.md. */
export function sinkNote(name: string, r: ThroughputResult): string {
  return (
    `${name}: ${r.written} written, ${r.stale} stale, ${r.failed} failed in ${r.batches} batches, ${round(r.seconds, 2)} s; ` +
    `${round(r.cpuUsPerEvent, 1)} µs CPU per event, main thread busy ${round(r.mainThreadBusy * 100)}%, ` +
    `machine busy ${round(r.machineBusy * 100)}%; ` +
    `peak RSS ${round(r.peakRssMb, 1)} MB`
  );
}
