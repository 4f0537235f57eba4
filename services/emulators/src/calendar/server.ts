/**
 * The Google Calendar API v3 emulator: the token endpoint, the events API under /calendar/v3, and the
 * control API under /_emulator/ (shared faults, request log and rate limits, plus service accounts).
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  installControl,
  listen,
  type InjectedError,
  type RateSetting,
  type RunningEmulator,
} from '../control/index.ts';
import { Accounts } from './accounts.ts';
import { registerApiRoutes, sendError } from './api-routes.ts';
import { CalendarStore } from './calendar-store.ts';
import { errors, type CalendarError } from './errors.ts';
import { registerTokenEndpoint } from './token-endpoint.ts';

export interface CalendarEmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /**
   * Per-account rate for accounts without PUT /_emulator/rate. The quota guide
   * (https://developers.google.com/workspace/calendar/api/guides/quota) sets Calendar's quotas per
   * minute per project and per minute per user (600 a minute per user by default, i.e. 10 a
   * second); a bucket of 10/s with a burst of 10 keeps that average without letting a client spend a
   * whole minute's quota in one instant. null: unlimited.
   */
  readonly defaultRate?: RateSetting | null;
  /**
   * The URL clients reach the emulator at, for the token_uri of new keys. Default: the origin the
   * POST /_emulator/service-accounts request came to (right behind port mappings too).
   */
  readonly publicUrl?: string;
}

export const CALENDAR_DEFAULT_RATE: RateSetting = { perSecond: 10, burst: 10 };

/** An extra fault kind: 403 userRateLimitExceeded (a console quota, where rate_limited is the API's rate). */
const USER_RATE_LIMITED = 'user_rate_limited';

function injected(error: InjectedError): CalendarError {
  switch (error.kind) {
    case 'rate_limited':
      // Over the configured rate Calendar answers 403 rateLimitExceeded (the errors guide lists it first
      // for per-user rates); a test's rate_limited fault plays the 429 unless it names 403.
      if (error.cause === 'rate') return errors.rateLimitExceeded(error.status === 429 ? 429 : 403);
      return errors.rateLimitExceeded(error.status === 403 ? 403 : 429);
    case USER_RATE_LIMITED:
      return errors.userRateLimitExceeded();
    case 'overloaded':
      return errors.backendError(error.status ?? 503);
    default:
      return errors.backendError(error.status ?? 500);
  }
}

const newAccountBody = z.strictObject({ name: z.string().min(1).max(100).optional() });

export async function startCalendarEmulator(options: CalendarEmulatorOptions = {}): Promise<RunningEmulator> {
  const app = Fastify({ logger: false });
  const accounts = new Accounts();
  const store = new CalendarStore();

  installControl(app, {
    api: 'calendar',
    principalOf: (request: FastifyRequest) => accounts.tokenOf(request.headers.authorization)?.email,
    errorReply: (error) => {
      const answer = injected(error);
      return { status: answer.code, body: answer.body, headers: answer.headers };
    },
    defaultRate: options.defaultRate === undefined ? CALENDAR_DEFAULT_RATE : options.defaultRate,
    extraFaultKinds: [USER_RATE_LIMITED],
    isPrincipal: (principal) => accounts.byEmail(principal) !== undefined,
  });

  app.post('/_emulator/service-accounts', async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = newAccountBody.safeParse(request.body ?? {});
    if (!parsed.success)
      return reply.code(400).send({
        error: `invalid service account: ${z.prettifyError(parsed.error)} (send { "name"?: string })`,
      });
    const origin = options.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
    const name = parsed.data.name;
    const calendar = store.createCalendar(name ?? 'Emulated calendar');
    const { key } = await accounts.create(name, `${origin}/token`, calendar.id);
    return reply.code(201).send({ key, calendar_id: calendar.id });
  });

  registerTokenEndpoint(app, accounts);
  registerApiRoutes(app, accounts, store);
  app.setNotFoundHandler((_request, reply) => sendError(reply, errors.notFound()));

  return listen(app, {
    ...(options.port !== undefined ? { port: options.port } : {}),
    host: options.host ?? '127.0.0.1',
  });
}
