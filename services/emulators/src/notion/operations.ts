/** The writes: integrations, databases, pages. Handlers validate everything before changing anything. */
import { randomBytes } from 'node:crypto';
import { invalid, NotionError, notFound, unsupported } from './errors.ts';
import { newId, parseId } from './ids.ts';
import type { Bot, DataSource, Database, Page, PageParent, Workspace } from './model.ts';
import { describe, isObject, richTextArray, stringAt } from './rich-text.ts';
import { parseSchema } from './schema.ts';
import { parseValues, type PendingValue } from './values.ts';

export interface WriteContext {
  readonly workspace: Workspace;
  readonly bot: Bot;
  readonly now: number;
}

function onlyKeys(
  body: Record<string, unknown>,
  allowed: readonly string[],
  ignoredIfEmpty: readonly string[] = [],
) {
  for (const [key, value] of Object.entries(body)) {
    if (allowed.includes(key)) continue;
    if (ignoredIfEmpty.includes(key)) {
      if (Array.isArray(value) && value.length === 0) continue;
      throw unsupported(`body.${key}`);
    }
    throw invalid(`body.${key} should be not present, instead was ${describe(value)}.`);
  }
}

function bodyObject(body: unknown): Record<string, unknown> {
  const b = body ?? {};
  if (!isObject(b)) throw invalid(`body should be an object, instead was ${describe(b)}.`);
  return b;
}

export function createIntegration(workspace: Workspace, name: string | undefined, now: number): Bot {
  const id = newId();
  // Notion's internal integration tokens start with "ntn_" (since September 2024).
  const token = `ntn_${randomBytes(30).toString('base64url').replace(/[-_]/g, 'x')}`;
  const botName = name ?? `Emulator integration ${workspace.bots.size + 1}`;
  const rootPageId = newId();
  const title = [
    {
      type: 'text' as const,
      text: { content: botName, link: null },
      annotations: {
        bold: false,
        italic: false,
        strikethrough: false,
        underline: false,
        code: false,
        color: 'default',
      },
      plain_text: botName,
      href: null,
    },
  ];
  workspace.pages.set(rootPageId, {
    id: rootPageId,
    seq: workspace.nextSeq(),
    parent: { type: 'workspace' },
    values: new Map([['title', title]]),
    createdTime: now,
    createdBy: id,
    lastEditedTime: now,
    lastEditedBy: id,
    inTrash: false,
    icon: null,
    cover: null,
  });
  const bot: Bot = { id, name: botName, token, rootPageId };
  workspace.bots.set(id, bot);
  workspace.botsByToken.set(token, bot);
  return bot;
}

export function createDatabase(body: unknown, ctx: WriteContext): Database {
  const b = bodyObject(body);
  onlyKeys(b, ['parent', 'title', 'description', 'is_inline', 'initial_data_source', 'icon', 'cover']);
  if (!isObject(b.parent))
    throw invalid(`body.parent should be an object, instead was ${describe(b.parent)}.`);
  if (b.parent.workspace !== undefined)
    throw unsupported('a database at the workspace level (body.parent.workspace)');
  const parentId = parseId(stringAt(b.parent.page_id, 'body.parent.page_id'), 'body.parent.page_id');
  const parent = ctx.workspace.pages.get(parentId);
  if (!parent) throw notFound('page', parentId);
  if (parent.inTrash) throw invalid(`body.parent.page_id ${parentId} is in the trash: restore it first.`);
  const title = b.title === undefined ? [] : richTextArray(b.title, 'body.title');
  const description = b.description === undefined ? [] : richTextArray(b.description, 'body.description');
  if (b.is_inline !== undefined && typeof b.is_inline !== 'boolean')
    throw invalid(`body.is_inline should be a boolean, instead was ${describe(b.is_inline)}.`);
  const initial = b.initial_data_source ?? {};
  if (!isObject(initial))
    throw invalid(`body.initial_data_source should be an object, instead was ${describe(initial)}.`);
  const properties = parseSchema(initial.properties, 'body.initial_data_source.properties', ctx.workspace);

  const db: Database = {
    id: newId(),
    parentPageId: parentId,
    title,
    description,
    isInline: b.is_inline === true,
    dataSourceIds: [],
    createdTime: ctx.now,
    createdBy: ctx.bot.id,
    lastEditedTime: ctx.now,
    inTrash: false,
    icon: b.icon ?? null,
    cover: b.cover ?? null,
  };
  // The upgrade guide for 2025-09-03: a new database starts with one data source, titled like it.
  const source: DataSource = {
    id: newId(),
    databaseId: db.id,
    title,
    properties,
    createdTime: ctx.now,
    createdBy: ctx.bot.id,
    lastEditedTime: ctx.now,
    lastEditedBy: ctx.bot.id,
  };
  db.dataSourceIds.push(source.id);
  ctx.workspace.databases.set(db.id, db);
  ctx.workspace.dataSources.set(source.id, source);
  return db;
}

function pageParent(raw: unknown, workspace: Workspace): { parent: PageParent; source: DataSource | null } {
  if (!isObject(raw)) throw invalid(`body.parent should be an object, instead was ${describe(raw)}.`);
  if (raw.data_source_id !== undefined) {
    const id = parseId(
      stringAt(raw.data_source_id, 'body.parent.data_source_id'),
      'body.parent.data_source_id',
    );
    const source = workspace.dataSources.get(id);
    if (!source) throw notFound('data_source', id);
    return { parent: { type: 'data_source_id', dataSourceId: id, databaseId: source.databaseId }, source };
  }
  if (raw.database_id !== undefined) {
    const id = parseId(stringAt(raw.database_id, 'body.parent.database_id'), 'body.parent.database_id');
    const db = workspace.databases.get(id);
    if (!db) throw notFound('database', id);
    // 2025-09-03 upgrade guide: a database_id parent only works while the database has one data source.
    if (db.dataSourceIds.length !== 1)
      throw invalid(
        `body.parent.database_id ${id} has several data sources: use parent.data_source_id instead.`,
      );
    const source = workspace.dataSources.get(db.dataSourceIds[0] as string) as DataSource;
    return { parent: { type: 'data_source_id', dataSourceId: source.id, databaseId: id }, source };
  }
  if (raw.page_id !== undefined) {
    const id = parseId(stringAt(raw.page_id, 'body.parent.page_id'), 'body.parent.page_id');
    if (!workspace.pages.has(id)) throw notFound('page', id);
    return { parent: { type: 'page_id', pageId: id }, source: null };
  }
  if (raw.workspace !== undefined) throw unsupported('a page at the workspace level (body.parent.workspace)');
  throw invalid('body.parent should have one of data_source_id, database_id or page_id.');
}

function applyValues(page: Page, pending: readonly PendingValue[]) {
  for (const value of pending) page.values.set(value.config.id, value.apply());
}

export function createPage(body: unknown, ctx: WriteContext): Page {
  const b = bodyObject(body);
  onlyKeys(b, ['parent', 'properties', 'icon', 'cover'], ['children']);
  const { parent, source } = pageParent(b.parent, ctx.workspace);
  const pending = parseValues(source, b.properties, 'body.properties', ctx.workspace);
  const page: Page = {
    id: newId(),
    seq: ctx.workspace.nextSeq(),
    parent,
    values: new Map(),
    createdTime: ctx.now,
    createdBy: ctx.bot.id,
    lastEditedTime: ctx.now,
    lastEditedBy: ctx.bot.id,
    inTrash: false,
    icon: b.icon ?? null,
    cover: b.cover ?? null,
  };
  applyValues(page, pending);
  ctx.workspace.pages.set(page.id, page);
  return page;
}

export interface PlannedUpdate {
  readonly page: Page;
  apply(ctx: WriteContext): void;
}

/**
 * Checks an update of a page without changing it (the caller applies it once it holds the page).
 * https://developers.notion.com/reference/patch-page and /reference/trash-page: `in_trash: true` moves
 * the page to the trash, `false` restores it; `archived` is its deprecated alias.
 */
export function planUpdate(pageId: string, body: unknown, workspace: Workspace): PlannedUpdate {
  const page = workspace.pages.get(pageId);
  if (!page) throw notFound('page', pageId);
  const b = bodyObject(body);
  onlyKeys(b, ['properties', 'in_trash', 'archived', 'icon', 'cover', 'is_locked']);
  for (const key of ['in_trash', 'archived', 'is_locked'] as const)
    if (b[key] !== undefined && typeof b[key] !== 'boolean')
      throw invalid(`body.${key} should be a boolean, instead was ${describe(b[key])}.`);
  if (b.is_locked === true) throw unsupported('locking pages (body.is_locked: true)');
  if (b.in_trash !== undefined && b.archived !== undefined && b.in_trash !== b.archived)
    throw invalid(
      'body.in_trash and body.archived disagree: send only in_trash (archived is its deprecated alias).',
    );
  const trash = (b.in_trash ?? b.archived) as boolean | undefined;
  const source =
    page.parent.type === 'data_source_id'
      ? (workspace.dataSources.get(page.parent.dataSourceId) ?? null)
      : null;
  const pending = parseValues(source, b.properties, 'body.properties', workspace);
  const editsContent = pending.length > 0 || b.icon !== undefined || b.cover !== undefined;
  // Notion refuses edits to a trashed page unless the same request restores it.
  if (page.inTrash && editsContent && trash !== false)
    throw invalid(
      `Can't edit page ${page.id} while it is in the trash. Restore it first by sending in_trash: false.`,
    );
  return {
    page,
    apply(ctx) {
      applyValues(page, pending);
      if (b.icon !== undefined) page.icon = b.icon;
      if (b.cover !== undefined) page.cover = b.cover;
      if (trash !== undefined) page.inTrash = trash;
      page.lastEditedTime = ctx.now;
      page.lastEditedBy = ctx.bot.id;
    },
  };
}

export const conflict = () =>
  new NotionError(
    409,
    'conflict_error',
    'Conflict occurred while saving: another update of this page was in progress. Retry the request.',
  );
