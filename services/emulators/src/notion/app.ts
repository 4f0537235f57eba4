import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { installControl, type InjectedError } from '../control/index.ts';
import { errorBody, NotionError, serverErrorCode } from './errors.ts';
import { newId } from './ids.ts';
import { Workspace, type Bot } from './model.ts';
import { createIntegration } from './operations.ts';
import { LIMITS } from './rich-text.ts';
import { registerRoutes } from './routes.ts';

export const NOTION_VERSION = '2025-09-03';

export interface NotionAppOptions {
  /**
   * Every integration's rate unless PUT /_emulator/rate says otherwise; null: unlimited. Default: an
   * average of 3 requests/s ("The rate limit for incoming requests per integration is an average of
   * three requests per second. Some bursts beyond the average rate are allowed.",
   * https://developers.notion.com/reference/request-limits); the docs give no burst size, we allow 10.
   */
  readonly rate?: { readonly perSecond: number; readonly burst: number } | null;
  /** How long a page update holds the page; a second update of it meanwhile gets 409. Default 20 ms. */
  readonly pageEditMs?: number;
  /**
   * Notion rounds created_time/last_edited_time down to the minute
   * (https://developers.notion.com/changelog/last-edited-time-is-now-rounded-to-the-nearest-minute).
   * Default 'ms' keeps full precision, so tests can see that an edit happened and in which order;
   * 'minute' reproduces the rounding for sinks that must cope with it.
   */
  readonly timestampPrecision?: 'ms' | 'minute';
}

export const DEFAULT_RATE = { perSecond: 3, burst: 10 } as const;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function injected(error: InjectedError): NotionError {
  const retry: Record<string, string> =
    error.retryAfterSeconds !== undefined ? { 'retry-after': String(error.retryAfterSeconds) } : {};
  switch (error.kind) {
    case 'rate_limited':
      return new NotionError(
        error.status ?? 429,
        'rate_limited',
        `This integration exceeded its request rate. Retry after ${error.retryAfterSeconds ?? 1} s (Retry-After header).`,
        retry,
      );
    case 'overloaded':
      return new NotionError(
        529,
        'service_overload',
        'Notion is overloaded. Retry after the Retry-After delay.',
        {
          'retry-after': String(error.retryAfterSeconds ?? 1),
        },
      );
    case 'conflict':
      return new NotionError(
        409,
        'conflict_error',
        'Conflict occurred while saving. Retry the request.',
        retry,
      );
    default: {
      const status = error.status ?? 500;
      return new NotionError(
        status,
        serverErrorCode(status),
        `Injected server error (status ${status}).`,
        retry,
      );
    }
  }
}

export function buildNotionApp(options: NotionAppOptions = {}): FastifyInstance {
  const workspace = new Workspace(newId());
  const app = Fastify({
    bodyLimit: LIMITS.payloadBytes,
    genReqId: () => randomUUID(),
    // Ids and tokens are in paths and headers; the emulator's own log would only add noise to tests.
    logger: false,
  });
  const bots = new WeakMap<FastifyRequest, Bot>();
  const precision = options.timestampPrecision ?? 'ms';
  const shownTime = (ms: number) => (precision === 'minute' ? Math.floor(ms / 60_000) * 60_000 : ms);
  const formatTime = (ms: number) => new Date(shownTime(ms)).toISOString();

  const reply = (error: NotionError, requestId: string) => ({
    status: error.status,
    headers: error.headers,
    body: errorBody(error, requestId),
  });

  installControl(app, {
    api: 'notion',
    principalOf: (request) => {
      const token = bearer(request);
      return token !== undefined && workspace.botsByToken.has(token) ? token : undefined;
    },
    errorReply: (error, request) => reply(injected(error), request.id),
    defaultRate: options.rate === undefined ? DEFAULT_RATE : options.rate,
    extraFaultKinds: ['conflict'],
    isPrincipal: (p) => workspace.botsByToken.has(p),
  });

  app.addHook('onSend', async (request, res) => {
    res.header('x-notion-request-id', request.id);
  });

  app.setErrorHandler((error, request, res) => {
    let notion: NotionError;
    const code = (error as { code?: string }).code;
    if (error instanceof NotionError) notion = error;
    else if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      notion = new NotionError(
        400,
        'validation_error',
        `Request body is larger than the ${LIMITS.payloadBytes / 1000} KB limit (https://developers.notion.com/reference/request-limits).`,
      );
    else if (typeof code === 'string' && code.startsWith('FST_ERR_CTP'))
      notion = new NotionError(
        400,
        'invalid_json',
        `Error parsing JSON body: ${error instanceof Error ? error.message : String(error)}`,
      );
    else
      notion = new NotionError(
        500,
        'internal_server_error',
        `Emulator failure: ${error instanceof Error ? error.message : String(error)}`,
      );
    const r = reply(notion, request.id);
    return res.code(r.status).headers(r.headers).send(r.body);
  });

  app.setNotFoundHandler((request, res) => {
    if (request.url.startsWith('/_emulator/'))
      return res
        .code(404)
        .send({ error: `no control endpoint ${request.method} ${request.url.split('?')[0]}` });
    const r = reply(
      new NotionError(
        400,
        'invalid_request_url',
        `Invalid request URL: ${request.method} ${request.url.split('?')[0]}.`,
      ),
      request.id,
    );
    return res.code(r.status).send(r.body);
  });

  app.register(async (scope) => {
    scope.post('/_emulator/integrations', async (request, res) => {
      const body = (request.body ?? {}) as { name?: unknown };
      if (body.name !== undefined && (typeof body.name !== 'string' || body.name === ''))
        return res.code(400).send({ error: 'invalid integration: name should be a non-empty string' });
      const bot = createIntegration(workspace, body.name, Date.now());
      return res.code(201).send({ token: bot.token, bot_id: bot.id, root_page_id: bot.rootPageId });
    });
  });

  app.register(async (api) => {
    // Before the body is read: a request with a bad token or no version fails on that, not on its body.
    api.addHook('onRequest', async (request) => {
      const bot = workspace.botsByToken.get(bearer(request) ?? '');
      if (!bot) throw new NotionError(401, 'unauthorized', 'API token is invalid.');
      bots.set(request, bot);
      const version = request.headers['notion-version'];
      if (version === undefined)
        throw new NotionError(
          400,
          'missing_version',
          `Notion-Version header failed validation: Notion-Version header should be defined, instead was undefined. This emulator implements ${NOTION_VERSION}.`,
        );
      if (version !== NOTION_VERSION)
        throw new NotionError(
          400,
          'validation_error',
          `Notion-Version header failed validation: this emulator implements only ${NOTION_VERSION}, instead was ${JSON.stringify(version)}.`,
        );
    });
    registerRoutes(api, {
      workspace,
      botOf: (request) => bots.get(request) as Bot,
      formatTime,
      shownTime,
      pageEditMs: options.pageEditMs ?? 20,
    });
  });
  return app;
}
