import type { CdcError } from '@cdc/core';
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
  /** How long one request may take, its body read included. */
  readonly timeoutMs: number;
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
 * waits for its turn in the target's budget, is sent with fetch, must be answered within the
 * timeout, and comes back as the answer of a 2xx or as the CdcError of http-failure.ts. A
 * Retry-After pauses the whole budget. Redirects are not followed (fetch would resend the
 * sink's credentials, and a write API that moves is a setting to correct).
 */
export class HttpTarget {
  readonly name: string;
  readonly url: URL;
  readonly budget: RequestBudget;
  readonly #options: HttpTargetOptions;
  #requests = 0;
  #retriableFailures = 0;
  #refusals = 0;
  #lastStatus: number | undefined;

  constructor(options: HttpTargetOptions) {
    this.name = options.name;
    this.url = new URL(options.url);
    this.budget = options.budget ? new RequestBudget(options.budget) : RequestBudget.unlimited();
    this.#options = options;
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
    const url = new URL(request.url ?? this.url, this.url);
    const method = (request.method ?? (request.body === undefined ? 'GET' : 'POST')).toUpperCase();
    const exchange = { target: this.name, method, url: shownUrl(url, this.#options.urlShown) };
    await this.budget.take(stop);
    // One controller and one timer per request, cleared when it ends: AbortSignal.timeout and
    // AbortSignal.any per request kept a timer and a listener each alive (bench:sinks, webhook: 550
    // MB of RSS and a third of the throughput of a plain client).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no answer within ${this.#options.timeoutMs} ms`));
    }, this.#options.timeoutMs);
    const onStop = () => controller.abort(stop?.reason);
    stop?.addEventListener('abort', onStop, { once: true });
    this.#requests += 1;
    let response: HttpResponse;
    try {
      const answer = await fetch(url, {
        method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      // Read in full even when refused: the body says why, and the connection goes back to the pool.
      response = { status: answer.status, headers: answer.headers, body: await answer.text() };
    } catch (error) {
      if (stop?.aborted) throw stop.reason;
      const failure = requestFailure(exchange, error, timedOut ? this.#options.timeoutMs : undefined);
      this.#count(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
    this.#lastStatus = response.status;
    const verdict = this.#options.classify?.(response) ?? verdictOf(response.status);
    if (verdict === 'ok') return response;
    const now = Date.now();
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
