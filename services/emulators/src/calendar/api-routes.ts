/**
 * The Calendar API v3 routes under /calendar/v3, where `@googleapis/calendar` sends them
 * (`rootUrl + 'calendar/v3/calendars/{calendarId}/events[/{eventId}]'`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessToken, Accounts } from './accounts.ts';
import type { CalendarStore } from './calendar-store.ts';
import { CalendarError, errors } from './errors.ts';
import { listEvents } from './list-events.ts';
import { renderCalendar, renderEvent } from './render.ts';

/**
 * Scopes that allow reading and writing events
 * (https://developers.google.com/workspace/calendar/api/auth); the readonly ones allow reads only.
 */
const WRITE_SCOPES = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.events',
];
const READ_SCOPES = [
  ...WRITE_SCOPES,
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/calendar.events.readonly',
];

interface CalendarParams {
  calendarId: string;
}
interface EventParams extends CalendarParams {
  eventId: string;
}

export function sendError(reply: FastifyReply, error: CalendarError): FastifyReply {
  return reply.code(error.code).headers(error.headers).send(error.body);
}

/** Fastify's own failures (a body that is not JSON, too large, ...) in the API's error shape. */
function asCalendarError(error: unknown): CalendarError {
  if (error instanceof CalendarError) return error;
  const status = (error as { statusCode?: number }).statusCode ?? 500;
  if (status === 400 || status === 415) return errors.parseError();
  if (status === 413)
    return errors.invalid('Request too large: the body exceeds the emulator limit of 1 MB.');
  return errors.backendError(500);
}

export function registerApiRoutes(app: FastifyInstance, accounts: Accounts, store: CalendarStore): void {
  const tokens = new WeakMap<FastifyRequest, AccessToken>();
  const tokenOf = (request: FastifyRequest): AccessToken => {
    const token = tokens.get(request);
    if (!token) throw errors.authError();
    return token;
  };
  const calendarOf = (request: FastifyRequest<{ Params: CalendarParams }>) => {
    const id = request.params.calendarId;
    // "primary" is the calendar of the account the token belongs to.
    const account = accounts.byEmail(tokenOf(request).email);
    return store.calendar(id === 'primary' && account ? account.calendarId : id);
  };
  const ifMatch = (request: FastifyRequest) => {
    const value = request.headers['if-match'];
    return Array.isArray(value) ? value.join(',') : value;
  };

  app.register(
    async (api) => {
      api.setErrorHandler((error, _request, reply) => sendError(reply, asCalendarError(error)));

      api.addHook('onRequest', async (request, reply) => {
        const token = accounts.tokenOf(request.headers.authorization);
        if (!token) return sendError(reply, errors.authError());
        const allowed = request.method === 'GET' ? READ_SCOPES : WRITE_SCOPES;
        if (!token.scopes.some((s) => allowed.includes(s)))
          return sendError(reply, errors.insufficientPermissions());
        tokens.set(request, token);
      });

      api.get<{ Params: CalendarParams }>('/calendars/:calendarId', async (request) =>
        renderCalendar(calendarOf(request)),
      );

      api.get<{ Params: CalendarParams; Querystring: Record<string, string | string[]> }>(
        '/calendars/:calendarId/events',
        async (request) => listEvents(calendarOf(request), request.query),
      );

      api.post<{ Params: CalendarParams }>('/calendars/:calendarId/events', async (request) => {
        const calendar = calendarOf(request);
        return renderEvent(calendar, store.insert(calendar, request.body, tokenOf(request).email));
      });

      api.get<{ Params: EventParams }>('/calendars/:calendarId/events/:eventId', async (request, reply) => {
        const calendar = calendarOf(request);
        const event = store.event(calendar, request.params.eventId);
        // The version-resources guide: a get with If-None-Match naming the current ETag -> 304.
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === event.etag))
          return reply.code(304).send();
        return renderEvent(calendar, event);
      });

      api.put<{ Params: EventParams }>('/calendars/:calendarId/events/:eventId', async (request) => {
        const calendar = calendarOf(request);
        const event = store.update(calendar, request.params.eventId, request.body, ifMatch(request));
        return renderEvent(calendar, event);
      });

      api.patch<{ Params: EventParams }>('/calendars/:calendarId/events/:eventId', async (request) => {
        const calendar = calendarOf(request);
        const event = store.patch(calendar, request.params.eventId, request.body, ifMatch(request));
        return renderEvent(calendar, event);
      });

      api.delete<{ Params: EventParams }>(
        '/calendars/:calendarId/events/:eventId',
        async (request, reply) => {
          store.delete(calendarOf(request), request.params.eventId, ifMatch(request));
          return reply.code(204).send();
        },
      );
    },
    { prefix: '/calendar/v3' },
  );
}
