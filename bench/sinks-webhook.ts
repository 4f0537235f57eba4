// Phase (d) of `npm run bench:sinks`: the webhook sink against a plain HTTP client posting the
// same requests to the same local receiver.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONCURRENCY } from '../services/sinks/src/http/http-settings.ts';
import { Child } from './bench-child.ts';
import { intFromEnv, medianRound } from './common.ts';
import { NAMESPACE, WORKER_FLAGS, run } from './sink-bench-context.ts';
import { produceEvents } from './sink-events.ts';
import { throughput, type ThroughputResult } from './sink-throughput.ts';
import type { RawInput, RawMessage } from './webhook-raw-worker.ts';
import { BenchReceiver } from './webhook-receiver.ts';

export const WEBHOOK_EVENTS = intFromEnv('BENCH_WEBHOOK_EVENTS', 60_000);
export const WEBHOOK_ROUNDS = intFromEnv('BENCH_WEBHOOK_ROUNDS', 5);
// Requests in flight, the same for the sink and the plain client: the sink's default.
export const WEBHOOK_CONCURRENCY = intFromEnv('BENCH_WEBHOOK_CONCURRENCY', DEFAULT_CONCURRENCY);

/** One round: the sink's run, then the plain client's right after it. */
export interface WebhookRound {
  readonly sink: ThroughputResult;
  readonly rawEventsPerS: number;
  readonly rawSeconds: number;
  readonly rawFailed: number;
  readonly rawCpuUsPerRequest: number;
  readonly rawMainThreadBusy: number;
  readonly rawMachineBusy: number;
  readonly ratio: number;
}

export interface WebhookResult {
  readonly rounds: readonly WebhookRound[];
  /** The round whose ratio is the median: its figures are the ones reported. */
  readonly median: WebhookRound;
  /** Requests the sink made in a round. */
  readonly requests: number;
}

/**
 * The webhook sink (one CloudEvent per request) into a local receiver, then a plain client posting
 * the requests the sink made to the same receiver with the sink's concurrency: the ratio is the
 * sink's cost over the HTTP exchange itself. Rounds of both, each sink run a fresh consumer group
 * reading the same topic, and the round of median ratio reported: the speed of these shared
 * machines drifts by a fifth from one run to the next, and the two halves of a round are
 * neighbours in time.
 */
export async function webhookPhase(): Promise<WebhookResult> {
  const receiver = new BenchReceiver();
  const url = await receiver.start();
  const file = join(tmpdir(), `bench-webhook-${run}.json`);
  try {
    const topic = `${NAMESPACE}.${run}.webhook.public.patients`;
    await produceEvents(topic, { events: WEBHOOK_EVENTS, idOf: (n) => n + 1 });
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const rounds: WebhookRound[] = [];
    let requests = 0;
    for (let round = 1; round <= WEBHOOK_ROUNDS; round++) {
      const sink = await throughput(`d${round}`, 'webhook', topic, WEBHOOK_EVENTS, {
        kind: 'webhook',
        name: `${NAMESPACE}-webhook`,
        topics: [topic],
        url,
        secret,
        concurrency: WEBHOOK_CONCURRENCY,
      });
      // The receiver records in both runs (the same work for both); the first sink run's
      // requests are the ones the plain client posts in every round.
      const recorded = receiver.take();
      if (round === 1) {
        writeFileSync(file, JSON.stringify(recorded));
        requests = recorded.length;
      }
      const raw = await plainClient(`(d${round}) plain HTTP client`, url, file);
      receiver.take();
      rounds.push({
        sink,
        rawEventsPerS: raw.sent / raw.seconds,
        rawSeconds: raw.seconds,
        rawFailed: raw.failed,
        rawCpuUsPerRequest: raw.cpuUsPerRequest,
        rawMainThreadBusy: raw.mainThreadBusy,
        rawMachineBusy: raw.machineBusy,
        ratio: sink.eventsPerS / (raw.sent / raw.seconds),
      });
    }
    return { rounds, median: medianRound(rounds), requests };
  } finally {
    rmSync(file, { force: true });
    await receiver.stop();
  }
}

async function plainClient(label: string, url: string, requests: string) {
  const raw = new Child<RawMessage>(
    label,
    'bench/webhook-raw-worker.ts',
    { url, requests, concurrency: WEBHOOK_CONCURRENCY } satisfies RawInput,
    WORKER_FLAGS,
  );
  try {
    await raw.until((message) => message.kind === 'report');
  } finally {
    await raw.stop();
  }
  return raw.latest('report')!;
}
