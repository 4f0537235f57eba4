// What the benchmark scripts (bench/*.ts) and their worker processes share: settings from the
// environment, deterministic randomness, the machine's description and the BENCHMARKS.md sections.
// Node built-ins only at run time (kafkajs for types), so that a worker importing it loads nothing else.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Admin, Kafka } from 'kafkajs';

export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** Deterministic (mulberry32), so that every run writes the same events. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Peak resident memory of this process (VmHWM), in MB; 0 where /proc is missing. */
export function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/u.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model =
    /^model name\s*:\s*(.+)$/mu.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const memoryGb = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} CPUs (${model}), ${memoryGb} GB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** The machine's CPU time so far, over every core (os.cpus()), busy and in all. */
export interface MachineCpu {
  readonly busyMs: number;
  readonly totalMs: number;
}

export function machineCpu(): MachineCpu {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of os.cpus()) {
    const total = times.user + times.nice + times.sys + times.idle + times.irq;
    totalMs += total;
    busyMs += total - times.idle;
  }
  return { busyMs, totalMs };
}

/**
 * How busy the whole machine was since `start` (0 to 1, every process and core): near 1, the
 * processes of a run (the one measured, the receiver, the broker) share out the machine, and a
 * thread more cannot make it faster.
 */
export function machineBusySince(start: MachineCpu): number {
  const now = machineCpu();
  return (now.busyMs - start.busyMs) / (now.totalMs - start.totalMs);
}

export const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** JSON has no NaN: a figure not measured is null. */
export const figure = (value: number, digits = 0) => (Number.isFinite(value) ? round(value, digits) : null);

/** Runs `work` with a connected admin client of `kafka`, disconnected afterwards. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile of ascending values (nearest rank); NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The round of median ratio among rounds of a sink and its ceiling: the one whose figures a
 * phase reports, since the machine's speed drifts between rounds.
 */
export function medianRound<R extends { readonly ratio: number }>(rounds: readonly R[]): R {
  const middle = percentile(
    rounds.map((r) => r.ratio).sort((x, y) => x - y),
    50,
  );
  return rounds.find((r) => r.ratio === middle) ?? rounds[0]!;
}

/**
 * Writes rows 1..total at `rate` per second over several connections: every few milliseconds,
 * each connection commits up to `chunk` of the rows due by now (`write(client, from, to)`, `to`
 * excluded), then reports. Resolves when all are written, with the seconds it took.
 */
export async function pacedWrites<C>(
  clients: readonly C[],
  pace: { readonly rate: number; readonly total: number; readonly chunk: number },
  write: (client: C, from: number, to: number) => Promise<void>,
  onWritten: (startMs: number) => void = () => undefined,
): Promise<number> {
  const startMs = Date.now();
  let claimed = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (claimed < pace.total) {
        const due = Math.min(pace.total, Math.floor((pace.rate * (Date.now() - startMs)) / 1000)) - claimed;
        if (due <= 0) {
          await sleep(1);
          continue;
        }
        const from = claimed + 1;
        claimed += Math.min(due, pace.chunk);
        await write(client, from, claimed + 1);
        onWritten(startMs);
      }
    }),
  );
  return (Date.now() - startMs) / 1000;
}
export const mark = (met: boolean) => (met ? 'met' : 'NOT met');

/** Columns padded as prettier pads them, so that the written file passes prettier --check. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

export interface RunSection {
  /** Names the section's markers: `<!-- bench:<marker> -->` ... `<!-- /bench:<marker> -->`. */
  readonly marker: string;
  /** Text above the run (what is measured and how), if the section carries it. */
  readonly description?: string;
  readonly title: string;
  readonly machine: string;
  readonly date: string;
  readonly command: string;
  readonly table: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Writes a run's section into the BENCHMARKS.md at `path`: in place of the section with the same
 * markers, or at the end; a missing file starts with `header`.
 */
export function writeRunSection(path: string, run: RunSection, header = ''): void {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const begin = `<!-- bench:${run.marker} -->`;
  const end = `<!-- /bench:${run.marker} -->`;
  const section = [
    begin,
    '',
    ...(run.description === undefined ? [] : [run.description, '']),
    `### ${run.title}`,
    '',
    `- machine: ${run.machine}`,
    `- date: ${run.date}`,
    `- command: \`${run.command}\``,
    '',
    ...run.table,
    '',
    ...run.notes.map((note) => `- ${note}`),
    '',
    end,
  ].join('\n');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  text =
    from >= 0 && to > from
      ? text.slice(0, from) + section + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, text);
}
