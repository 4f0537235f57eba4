/** The /v1 endpoints the SDK (@notionhq/client 5.x, API version 2025-09-03) calls. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from './errors.ts';
import type { FilterContext } from './filters.ts';
import { parseId } from './ids.ts';
import type { Bot, Workspace } from './model.ts';
import { conflict, createDatabase, createPage, planUpdate, type WriteContext } from './operations.ts';
import { runQuery } from './query.ts';
import { renderBot, renderDataSource, renderDatabase, renderPage, type TimeFormat } from './render.ts';

export interface RouteDeps {
  readonly workspace: Workspace;
  readonly botOf: (request: FastifyRequest) => Bot;
  readonly formatTime: TimeFormat;
  readonly shownTime: (ms: number) => number;
  readonly pageEditMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type IdParams = { Params: { id: string } };

/** `filter_properties`: one or more property ids or names (?filter_properties=a&filter_properties=b, the SDK's form). */
function onlyProperties(query: unknown): Set<string> | undefined {
  const raw = (query as Record<string, unknown> | undefined)?.filter_properties;
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  return new Set(list.map(String));
}

export function registerRoutes(api: FastifyInstance, deps: RouteDeps): void {
  const { workspace, formatTime } = deps;
  const ctx = (request: FastifyRequest): WriteContext => ({
    workspace,
    bot: deps.botOf(request),
    now: Date.now(),
  });
  // Pages being written: a second update arriving meanwhile gets 409 conflict_error (status-codes:
  // "The transaction could not be completed, potentially due to a data collision").
  const writing = new Set<string>();

  api.get('/v1/users/me', async (request) => renderBot(deps.botOf(request), workspace));

  api.get<IdParams>('/v1/users/:id', async (request) => {
    const id = parseId(request.params.id, 'path.user_id');
    const bot = workspace.bots.get(id);
    if (!bot) throw notFound('user', id);
    return renderBot(bot, workspace);
  });

  api.post('/v1/databases', async (request) =>
    renderDatabase(createDatabase(request.body, ctx(request)), workspace, formatTime),
  );

  api.get<IdParams>('/v1/databases/:id', async (request) => {
    const id = parseId(request.params.id, 'path.database_id');
    const db = workspace.databases.get(id);
    if (!db) throw notFound('database', id);
    return renderDatabase(db, workspace, formatTime);
  });

  api.get<IdParams>('/v1/data_sources/:id', async (request) => {
    const id = parseId(request.params.id, 'path.data_source_id');
    const source = workspace.dataSources.get(id);
    const db = source && workspace.databases.get(source.databaseId);
    if (!source || !db) throw notFound('data_source', id);
    return renderDataSource(source, db, formatTime);
  });

  api.post<IdParams>('/v1/data_sources/:id/query', async (request) => {
    const id = parseId(request.params.id, 'path.data_source_id');
    const source = workspace.dataSources.get(id);
    if (!source) throw notFound('data_source', id);
    const filterCtx: FilterContext = { source, shownTime: deps.shownTime, now: Date.now() };
    const { pages, nextCursor } = runQuery(request.body, workspace.pagesOf(id), filterCtx);
    const only = onlyProperties(request.query);
    return {
      object: 'list',
      results: pages.map((p) => renderPage(p, workspace, formatTime, only)),
      next_cursor: nextCursor,
      has_more: nextCursor !== null,
      type: 'page_or_data_source',
      page_or_data_source: {},
    };
  });

  api.post('/v1/pages', async (request) =>
    renderPage(createPage(request.body, ctx(request)), workspace, formatTime, onlyProperties(request.query)),
  );

  api.get<IdParams>('/v1/pages/:id', async (request) => {
    const id = parseId(request.params.id, 'path.page_id');
    const page = workspace.pages.get(id);
    if (!page) throw notFound('page', id);
    return renderPage(page, workspace, formatTime, onlyProperties(request.query));
  });

  api.patch<IdParams>('/v1/pages/:id', async (request) => {
    const id = parseId(request.params.id, 'path.page_id');
    const plan = planUpdate(id, request.body, workspace);
    if (writing.has(id)) throw conflict();
    writing.add(id);
    try {
      // The write takes a while, as Notion's do; that window is what lets two updates collide.
      if (deps.pageEditMs > 0) await sleep(deps.pageEditMs);
      plan.apply(ctx(request));
    } finally {
      writing.delete(id);
    }
    return renderPage(plan.page, workspace, formatTime, onlyProperties(request.query));
  });
}
