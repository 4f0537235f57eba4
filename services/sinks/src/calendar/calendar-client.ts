import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import type { RequestBudget } from '../http/request-budget.ts';
import {
  answerFailure,
  answerKind,
  googleAnswerOf,
  requestFailureOf,
  type FailureContext,
} from './calendar-errors.ts';
import type { CalendarEvent } from './event-body.ts';
import { QuotaBackoff } from './quota-backoff.ts';
import { GOOGLE_TOKEN_URI, type ServiceAccountKey } from './service-account-key.ts';

/** Full calendar access: calendars.get at start needs more than calendar.events. */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export interface CalendarClientOptions {
  /** Root URL of the Google APIs, ending in `/`. */
  readonly url: string;
  readonly key: ServiceAccountKey;
  readonly calendarId: string;
  /** Every API request takes its turn here first; a rate-limit answer pauses it. */
  readonly budget: RequestBudget;
  readonly context: FailureContext;
  /** The sink's stop: requests under way or waiting end with its reason. */
  readonly signal: AbortSignal;
}

export type InsertResult =
  { readonly kind: 'written'; readonly event: CalendarEvent } | { readonly kind: 'exists' };
export type UpdateResult =
  | { readonly kind: 'written'; readonly event: CalendarEvent }
  /** 412: the event changed since the etag the update was based on. */
  | { readonly kind: 'moved' }
  | { readonly kind: 'missing' };

type Answer<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly status: number };

/**
 * The Calendar API v3 through Google's own client (`@googleapis/calendar`, google-auth-library's
 * JWT for the service account): the events of one calendar by id. The seam for the request
 * budget is gaxios' `fetchImplementation` (googleapis-common hands its options down to every
 * request): each API request waits for its token there, and its timeout starts only once it goes,
 * so that waiting for the budget never counts as a slow answer. Token requests do not count against
 * Calendar's quota and do not wait. gaxios' own retries are off: the sink runtime retries
 * batches, with back-off, and the budget would not see gaxios' extra requests coming.
 */
export class CalendarClient {
  readonly #calendar: calendar_v3.Calendar;
  readonly #auth: JWT;
  readonly #options: CalendarClientOptions;
  readonly #backoff = new QuotaBackoff();
  #requests = 0;

  constructor(options: CalendarClientOptions) {
    this.#options = options;
    const { key, signal, context } = options;
    const ownTokenUri = key.tokenUri !== GOOGLE_TOKEN_URI;
    this.#auth = new JWT({
      email: key.clientEmail,
      key: key.privateKey,
      ...(key.privateKeyId === undefined ? {} : { keyId: key.privateKeyId }),
      scopes: [CALENDAR_SCOPE],
      // google-auth-library asks Google's endpoint whatever the key says; a key of another
      // endpoint (RFC 7523: the assertion's audience is that endpoint) is sent there.
      ...(ownTokenUri ? { additionalClaims: { aud: key.tokenUri } } : {}),
    });
    this.#auth.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (String(config.url) !== GOOGLE_TOKEN_URI) return config;
        const url = ownTokenUri ? new URL(key.tokenUri) : config.url;
        const timeout = AbortSignal.timeout(context.timeoutMs);
        return { ...config, url, signal: AbortSignal.any([timeout, signal]) };
      },
    });
    this.#calendar = calendar({
      version: 'v3',
      rootUrl: options.url,
      auth: this.#auth,
      retry: false,
      fetchImplementation: this.#fetch,
    });
  }

  /** API requests sent (after their turn in the budget). */
  get requests(): number {
    return this.#requests;
  }

  readonly #fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const stop = this.#options.signal;
    await this.#options.budget.take(stop);
    this.#requests += 1;
    const timeout = AbortSignal.timeout(this.#options.context.timeoutMs);
    const signals = [timeout, stop, ...(init?.signal ? [init.signal] : [])];
    return fetch(input, { ...init, signal: AbortSignal.any(signals) });
  };

  /** The calendar, read at start: what a wrong id or missing share shows. */
  async calendar(): Promise<Answer<calendar_v3.Schema$Calendar>> {
    const calendarId = this.#options.calendarId;
    return this.#call(
      `calendars.get of ${calendarId}`,
      () => this.#calendar.calendars.get({ calendarId }),
      [404],
    );
  }

  /** A token for the service account, fetched at start so that a refused key shows there. */
  async authorize(): Promise<void> {
    try {
      await this.#auth.authorize();
    } catch (error) {
      throw this.#failure(error, 'the token request');
    }
  }

  /** The event, cancelled ones included; undefined when the calendar has none of that id. */
  async get(eventId: string): Promise<CalendarEvent | undefined> {
    const calendarId = this.#options.calendarId;
    const answer = await this.#call(
      `events.get of event ${eventId}`,
      () => this.#calendar.events.get({ calendarId, eventId }),
      [404, 410],
    );
    return answer.ok ? answer.data : undefined;
  }

  /** Inserts the event with its id; `exists` when the calendar has one of that id (cancelled too). */
  async insert(event: CalendarEvent): Promise<InsertResult> {
    const calendarId = this.#options.calendarId;
    const answer = await this.#call(
      `events.insert of event ${event.id ?? ''}`,
      () => this.#calendar.events.insert({ calendarId, requestBody: event }),
      [409],
    );
    return answer.ok ? { kind: 'written', event: answer.data } : { kind: 'exists' };
  }

  /** Replaces the event, only if it still has `etag` (412 otherwise). */
  async update(eventId: string, event: CalendarEvent, etag: string | undefined): Promise<UpdateResult> {
    const calendarId = this.#options.calendarId;
    const headers = etag === undefined ? {} : { 'If-Match': etag };
    const answer = await this.#call(
      `events.update of event ${eventId}`,
      () => this.#calendar.events.update({ calendarId, eventId, requestBody: event }, { headers }),
      [404, 410, 412],
    );
    if (answer.ok) return { kind: 'written', event: answer.data };
    return answer.status === 412 ? { kind: 'moved' } : { kind: 'missing' };
  }

  /**
   * One API call: `expected` statuses are answers for the caller. A 401 renews the token and
   * tries once more (an expired or revoked token is never sent twice); a rate limit pauses the
   * budget, with Google's Retry-After if it sent one, else with exponential back-off.
   */
  async #call<T>(
    what: string,
    send: () => Promise<{ data: T }>,
    expected: readonly number[],
  ): Promise<Answer<T>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { data } = await send();
        this.#backoff.reset();
        return { ok: true, data };
      } catch (error) {
        const answer = googleAnswerOf(error);
        if (answer && !answer.fromTokenEndpoint && expected.includes(answer.status)) {
          this.#backoff.reset();
          return { ok: false, status: answer.status };
        }
        if (answer && !answer.fromTokenEndpoint && answer.status === 401 && attempt === 0) {
          this.#renewToken();
          continue;
        }
        throw this.#failure(error, what);
      }
    }
  }

  #failure(error: unknown, what: string): unknown {
    const { signal, context, url } = this.#options;
    if (signal.aborted) return signal.reason;
    const answer = googleAnswerOf(error);
    if (!answer) return requestFailureOf(error, what, context, url);
    let pauseMs: number | undefined;
    if (answerKind(answer) === 'rate_limited') {
      // Requests already on their way when the first answer came meet the same limit: they do
      // not lengthen the pause it started.
      const pausedUntil = this.#options.budget.pausedUntil;
      pauseMs =
        pausedUntil === undefined ? this.#backoff.next(answer.retryAfterMs) : pausedUntil - Date.now();
      this.#options.budget.pauseUntil(Date.now() + pauseMs);
    } else if (answer.retryAfterMs !== undefined && answerKind(answer) === 'unavailable') {
      pauseMs = answer.retryAfterMs;
      this.#options.budget.pauseUntil(Date.now() + pauseMs);
    }
    return answerFailure(answer, what, context, pauseMs);
  }

  /** Forgets the token, so that the next request fetches another (the JWT client's own starting state). */
  #renewToken(): void {
    this.#auth.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
  }
}
