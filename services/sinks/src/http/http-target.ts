import type { CdcError, WaitRecorder } from '@cdc/core';
import { Agent } from 'undici';
import {
  requestFailure,
  responseFailure,
  shownUrl,
  verdictOf,
  type HttpResponse,
  type HttpVerdict,
} from './http-failure.ts';
import { RequestBudget, type RequestBudgetOptions } from './request-budget.ts';

export interface HttpTargetOptions {
  /** Names the target in messages and metrics (the sink's name). */
  readonly name: string;
  /** The target's address; a request's `url` is resolved against it (as `new URL(url, base)` does). */
  readonly url: string | URL;
  /** The target's documented rate; none: no limit but Retry-After pauses. */
  readonly budget?: RequestBudgetOptions;
  /** Told how long requests wait for the budget, Retry-After pauses included (the sink's metrics). */
  readonly rateLimitWaits?: WaitRecorder;
  /** How long one request may take, its body read included. */
  readonly timeoutMs: number;
  /**
   * Requests in flight at most, over every caller (the batches of all partitions): one per
   * connection, the rest wait their turn. Default: no limit.
   */
  readonly concurrency?: number;
  /** The service's stop: a request under way or waiting for its turn ends with its reason. */
  readonly signal?: AbortSignal;
  /**
   * A target's own reading of an answer where it differs from verdictOf (Google answers rate
   * limits with 403); undefined keeps the default.
   */
  readonly classify?: (response: HttpResponse) => HttpVerdict | undefined;
  /** What messages show of URLs: `path` (default) or only the `origin`, when the path is a secret. */
  readonly urlShown?: 'path' | 'origin';
}

export interface HttpRequest {
  /** Default: POST with a body, GET without. */
  readonly method?: string;
  /** Resolved against the target's url; default the target's url itself. */
  readonly url?: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** For metrics: what went to the target and how it answered. */
export interface HttpTargetCounters {
  /** Requests sent (after their turn in the budget). */
  readonly requests: number;
  /** Requests that failed in a way worth retrying: 408, 425, 429, 5xx, network, timeout. */
  readonly retriableFailures: number;
  /** Requests refused for good, or refusing the sink's credentials. */
  readonly refusals: number;
  /** The status of the last answer, if any came. */
  readonly lastStatus: number | undefined;
}

/**
 * One HTTP target (a REST API, a webhook receiver) as every HTTP sink uses it: each request
 * waits for its turn in the target's budget, is sent with undici's `request` over the target's
 * own pool of kept-alive connections, must be answered within the timeout, and comes back as the
 * answer of a 2xx or as the CdcError of http-failure.ts. A Retry-After pauses the whole budget.
 * Redirects are not followed (they would resend the sink's credentials, and a write API that
 * moves is a setting to correct).
 *
 * Why `request` and not fetch: fetch builds WHATWG Request, Response, Headers and streams for
 * every exchange; bench:sinks measured a plain fetch client at 0.43 of a plain `request` client
 * posting the same webhook requests to the same receiver (BENCHMARKS.md). For the same reason
 * the timeout and the service's stop are the pool's (undici's timeouts, and closing the pool)
 * rather than an AbortController and a timer per request.
 */
export class HttpTarget {
  readonly name: string;
  readonly url: URL;
  readonly budget: RequestBudget;
  readonly #options: HttpTargetOptions;
  readonly #pool: Agent;
  /** The origin and path of `url`, read once. */
  readonly #place: readonly [string, string];
  #requests = 0;
  #retriableFailures = 0;
  #refusals = 0;
  #lastStatus: number | undefined;

  constructor(options: HttpTargetOptions) {
    this.name = options.name;
    this.url = new URL(options.url);
    this.#place = placeOf(this.url);
    this.budget = options.budget
      ? new RequestBudget(options.budget, options.rateLimitWaits)
      : RequestBudget.unlimited(options.rateLimitWaits);
    this.#options = options;
    this.#pool = new Agent({
      keepAliveTimeout: KEEP_ALIVE_MS,
      ...(options.concurrency === undefined ? {} : { connections: options.concurrency }),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
    });
    // The service's stop ends the requests under way with its reason (request() rethrows it).
    const stop = options.signal;
    const close = () => this.#pool.destroy(stop?.reason as Error).catch(() => undefined);
    if (stop?.aborted) void close();
    else stop?.addEventListener('abort', () => void close(), { once: true });
  }

  get counters(): HttpTargetCounters {
    return {
      requests: this.#requests,
      retriableFailures: this.#retriableFailures,
      refusals: this.#refusals,
      lastStatus: this.#lastStatus,
    };
  }

  /** Sends one request; resolves with the answer of a 2xx, throws the classified failure otherwise. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const stop = this.#options.signal;
    const url = request.url === undefined ? this.url : new URL(request.url, this.url);
    const [origin, path] = url === this.url ? this.#place : placeOf(url);
    const method = (request.method ?? (request.body === undefined ? 'GET' : 'POST')).toUpperCase();
    await this.budget.take(stop);
    this.#requests += 1;
    let response: HttpResponse;
    try {
      // The pool's own request: no URL parsed again per request.
      const answer = await this.#pool.request({
        origin,
        path,
        method,
        headers: request.headers,
        body: request.body,
      });
      // Read in full even when refused: the body says why, and the connection goes back to the pool.
      response = { status: answer.statusCode, headers: answer.headers, body: await answer.body.text() };
    } catch (error) {
      if (stop?.aborted) throw stop.reason;
      const exchange = { target: this.name, method, url: shownUrl(url, this.#options.urlShown) };
      const failure = requestFailure(exchange, error, this.#options.timeoutMs);
      this.#count(failure);
      throw failure;
    }
    this.#lastStatus = response.status;
    const verdict = this.#options.classify?.(response) ?? verdictOf(response.status);
    if (verdict === 'ok') return response;
    const now = Date.now();
    const exchange = { target: this.name, method, url: shownUrl(url, this.#options.urlShown) };
    const failure = responseFailure(exchange, response, verdict, now);
    const retryAfter = failure.details.retryAfterMs;
    if (typeof retryAfter === 'number') this.budget.pauseUntil(now + retryAfter);
    this.#count(failure);
    throw failure;
  }

  #count(failure: CdcError): void {
    if (failure.retriable && failure.code === 'HTTP_TARGET_UNAVAILABLE') this.#retriableFailures += 1;
    else this.#refusals += 1;
  }
}

const placeOf = (url: URL): [string, string] => [url.origin, `${url.pathname}${url.search}`];

// Longer than receivers usually keep an idle connection (Node's http server: 5 s); undici closes
// one when the server's Keep-Alive header says it will.
const KEEP_ALIVE_MS = 30_000;
