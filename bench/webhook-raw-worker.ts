// Child process of bench/sinks-webhook.ts (phase d of bench:sinks): the ceiling of the webhook
// sink. A plain HTTP client (undici's request, as the sink's HttpTarget uses) posts the very
// requests the sink made (same bodies and headers, recorded by bench/webhook-receiver.ts) to the
// same receiver, as many at once as the sink's concurrency, and reports the time from its first
// request to its last answer.
import { readFileSync } from 'node:fs';
import { Agent, request as send } from 'undici';
import { machineBusySince, machineCpu } from './common.ts';
import type { RecordedRequest } from './webhook-receiver.ts';

export interface RawInput {
  readonly url: string;
  /** A JSON file of RecordedRequest[]. */
  readonly requests: string;
  readonly concurrency: number;
}

export type RawMessage =
  | {
      readonly kind: 'report';
      readonly sent: number;
      readonly seconds: number;
      readonly failed: number;
      /** CPU time of the process (user + system) per request, from the first to the last answer. */
      readonly cpuUsPerRequest: number;
      /** How busy its main thread was meanwhile (0 to 1), as the sink worker reports it. */
      readonly mainThreadBusy: number;
      /** How busy the whole machine was meanwhile (common.ts machineBusySince). */
      readonly machineBusy: number;
    }
  | { readonly kind: 'failed'; readonly error: string };

const input = JSON.parse(process.argv[2] ?? '{}') as RawInput;
const requests = JSON.parse(readFileSync(input.requests, 'utf8')) as RecordedRequest[];
// Kept-alive connections, as the sink's HttpTarget (services/sinks/src/http/http-target.ts) keeps.
const pool = new Agent({ keepAliveTimeout: 30_000 });
let next = 0;
let failed = 0;
const started = performance.now();
const cpuAtStart = process.cpuUsage();
const loopAtStart = performance.eventLoopUtilization();
const machineAtStart = machineCpu();
await Promise.all(
  Array.from({ length: input.concurrency }, async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const response = await send(input.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        dispatcher: pool,
      });
      await response.body.text();
      if (response.statusCode >= 300) failed += 1;
    }
  }),
).catch((error: unknown) => {
  process.send?.({ kind: 'failed', error: String(error) } satisfies RawMessage);
  process.exit(1);
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
const cpuUsPerRequest = (cpu.user + cpu.system) / requests.length;
const mainThreadBusy = performance.eventLoopUtilization(loopAtStart).utilization;
const machineBusy = machineBusySince(machineAtStart);
process.send?.({
  kind: 'report',
  sent: requests.length,
  seconds,
  failed,
  cpuUsPerRequest,
  mainThreadBusy,
  machineBusy,
} satisfies RawMessage);
// Stays until the parent says stop (as the sink worker does), so that its stop finds it listening.
process.on('message', (message: unknown) => {
  if (message === 'stop') process.exit(0);
});
