/**
 * The control API every emulator shares, under `/_emulator/` (see /work/notes/issue13-plan.md).
 *
 * Interface (kept stable; the Notion and Calendar emulators both use it):
 *
 *   const control = installControl(app, {
 *     principalOf: (request) => token or client_email of a known principal, else undefined,
 *     errorReply: (error, request) => ({ status, body, headers? }),   // the API's own error answer
 *     defaultRate: { perSecond: 3, burst: 10 } | null,                // for principals without PUT /_emulator/rate
 *     extraFaultKinds: ['conflict'],                                  // optional, API-specific kinds
 *     isPrincipal: (p) => boolean,                                    // optional: 404 for unknown principals
 *   });
 *   // control.faults / control.rate / control.log: the stores, for API code that wants them.
 *
 *   const running = await listen(app, { port, host });              // RunningEmulator { url, close() }
 *
 * `installControl` must be called on the root fastify instance before the API routes are registered:
 * it adds an onRequest hook that, for every request outside `/_emulator/` whose `principalOf` is
 * defined, logs it, applies that principal's faults (all `slow` delays first, then the first failing
 * fault) and then its rate limit. `errorReply` gets `{ kind, cause, status?, retryAfterSeconds? }`:
 *   - kind 'rate_limited' (cause 'fault' or 'rate'): retryAfterSeconds always set; status set when the
 *     fault or the rate setting named one (Calendar: 403 or 429).
 *   - kind 'server_error': status set when the fault named one (the API picks its default, e.g. 500).
 *   - kind 'overloaded' or an extra kind: status when the fault named one.
 *   Other kinds carry retryAfterSeconds only when the fault gave retry_after_seconds.
 * Requests whose principal is undefined (unknown token, the token endpoint) are neither logged, faulted
 * nor limited: the API answers them itself.
 *
 * Routes (JSON, snake_case; control errors are 400/404 `{ "error": "<what failed and how to fix>" }`):
 *   POST   /_emulator/faults   { principal, kind, duration_ms?, count?, delay_ms?, status?, retry_after_seconds? } -> 201 { id }
 *   DELETE /_emulator/faults?principal=P     -> 200 { cleared: n }
 *   GET    /_emulator/requests?principal=P   -> 200 { requests: [{ at_ms, method, path, status }] } (answered ones, arrival order)
 *   DELETE /_emulator/requests?principal=P   -> 204 (forgets P's log)
 *   PUT    /_emulator/rate     { principal, per_second: number | null, burst?, error?: "403" | "429" } -> 200 { principal, per_second, burst }
 *          (burst defaults to the default rate's burst, else to ceil(per_second); null lifts the limit)
 *   GET    /_emulator/rate?principal=P       -> 200 { principal, per_second, burst } (per_second null: unlimited)
 *   DELETE /_emulator/rate?principal=P       -> 204 (back to the emulator's default rate)
 *   GET    /_emulator/health                 -> 200 { api, status: 'ok' } (the local stack's probe)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FaultStore } from './faults.ts';
import { RateLimiter, type RateSetting } from './rate-limiter.ts';
import { RequestLog, type LoggedRequest } from './request-log.ts';
import { registerControlRoutes } from './routes.ts';

export { FaultStore, type Fault, type FaultSpec } from './faults.ts';
export { RateLimiter, type RateSetting, type RateDecision } from './rate-limiter.ts';
export { RequestLog, type LoggedRequest } from './request-log.ts';
export { listen, type ListenOptions, type RunningEmulator } from './listen.ts';

export const COMMON_FAULT_KINDS = ['rate_limited', 'server_error', 'overloaded', 'slow'] as const;

export interface InjectedError {
  readonly kind: string;
  /** 'rate' when the principal's rate limit refused the request, 'fault' when a test's fault did. */
  readonly cause: 'rate' | 'fault';
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export interface ErrorReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ControlOptions {
  /** Which API the emulator plays ('notion', 'calendar'): GET /_emulator/health says it. */
  readonly api: string;
  readonly principalOf: (request: FastifyRequest) => string | undefined;
  readonly errorReply: (error: InjectedError, request: FastifyRequest) => ErrorReply;
  readonly defaultRate: RateSetting | null;
  readonly extraFaultKinds?: readonly string[];
  readonly isPrincipal?: (principal: string) => boolean;
}

export interface Control {
  readonly faults: FaultStore;
  readonly rate: RateLimiter;
  readonly log: RequestLog;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function installControl(app: FastifyInstance, options: ControlOptions): Control {
  const control: Control = {
    faults: new FaultStore(),
    rate: new RateLimiter(options.defaultRate),
    log: new RequestLog(),
  };
  const entries = new WeakMap<FastifyRequest, LoggedRequest>();

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/_emulator/')) return;
    const principal = options.principalOf(request);
    if (principal === undefined) return;
    entries.set(request, control.log.start(principal, request.method, request.url.split('?')[0] ?? '/'));

    const faults = control.faults.take(principal);
    const delay = Math.max(0, ...faults.filter((f) => f.kind === 'slow').map((f) => f.delayMs ?? 0));
    if (delay > 0) await sleep(delay);
    // Faults first, so that a test's fault hits the very next request even when the bucket is empty.
    const failing = faults.find((f) => f.kind !== 'slow');
    let error: InjectedError | undefined;
    if (failing) {
      error = {
        kind: failing.kind,
        cause: 'fault',
        ...(failing.status !== undefined ? { status: failing.status } : {}),
        ...(failing.kind === 'rate_limited' || failing.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: failing.retryAfterSeconds ?? 1 }
          : {}),
      };
    } else {
      const decision = control.rate.take(principal);
      if (!decision.allowed) {
        error = {
          kind: 'rate_limited',
          cause: 'rate',
          retryAfterSeconds: decision.retryAfterSeconds,
          ...(decision.status !== undefined ? { status: decision.status } : {}),
        };
      }
    }
    if (!error) return;
    const answer = options.errorReply(error, request);
    reply.code(answer.status);
    if (answer.headers) reply.headers(answer.headers);
    return reply.send(answer.body);
  });

  app.addHook('onResponse', async (request, reply) => {
    const entry = entries.get(request);
    if (entry) entry.status = reply.statusCode;
  });

  registerControlRoutes(app, control, {
    api: options.api,
    kinds: [...COMMON_FAULT_KINDS, ...(options.extraFaultKinds ?? [])],
    isPrincipal: options.isPrincipal ?? (() => true),
  });
  return control;
}
