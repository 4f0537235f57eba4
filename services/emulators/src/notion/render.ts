/** Response objects: https://developers.notion.com/reference/page, /database, /data-source, /user. */
import { notionUrl } from './ids.ts';
import type { Bot, DataSource, Database, Page, Workspace } from './model.ts';
import { plainText } from './rich-text.ts';
import { renderConfig } from './schema.ts';
import { renderValue } from './values.ts';

export type TimeFormat = (ms: number) => string;

const user = (id: string) => ({ object: 'user', id });

export function renderPage(
  page: Page,
  workspace: Workspace,
  formatTime: TimeFormat,
  only?: ReadonlySet<string>,
): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  let parent: Record<string, unknown>;
  if (page.parent.type === 'data_source_id') {
    parent = {
      type: 'data_source_id',
      data_source_id: page.parent.dataSourceId,
      database_id: page.parent.databaseId,
    };
    const source = workspace.dataSources.get(page.parent.dataSourceId);
    for (const config of source?.properties ?? [])
      if (!only || only.has(config.id) || only.has(config.name))
        properties[config.name] = renderValue(config, page, formatTime);
  } else {
    parent =
      page.parent.type === 'page_id'
        ? { type: 'page_id', page_id: page.parent.pageId }
        : { type: 'workspace', workspace: true };
    const title = { id: 'title', name: 'title', type: 'title', description: null } as const;
    if (!only || only.has('title')) properties.title = renderValue(title, page, formatTime);
  }
  return {
    object: 'page',
    id: page.id,
    created_time: formatTime(page.createdTime),
    last_edited_time: formatTime(page.lastEditedTime),
    created_by: user(page.createdBy),
    last_edited_by: user(page.lastEditedBy),
    cover: page.cover ?? null,
    icon: page.icon ?? null,
    parent,
    in_trash: page.inTrash,
    // Deprecated alias of in_trash, still sent in 2025-09-03 (see the SDK's PageObjectResponse).
    archived: page.inTrash,
    is_archived: false,
    is_locked: false,
    properties,
    url: notionUrl(page.id),
    public_url: null,
  };
}

export function renderDatabase(
  db: Database,
  workspace: Workspace,
  formatTime: TimeFormat,
): Record<string, unknown> {
  return {
    object: 'database',
    id: db.id,
    title: db.title,
    description: db.description,
    parent: { type: 'page_id', page_id: db.parentPageId },
    is_inline: db.isInline,
    in_trash: db.inTrash,
    archived: db.inTrash,
    is_locked: false,
    created_time: formatTime(db.createdTime),
    last_edited_time: formatTime(db.lastEditedTime),
    data_sources: db.dataSourceIds.map((id) => ({
      id,
      name: plainText(workspace.dataSources.get(id)?.title ?? []),
    })),
    icon: db.icon ?? null,
    cover: db.cover ?? null,
    url: notionUrl(db.id),
    public_url: null,
  };
}

export function renderDataSource(
  source: DataSource,
  db: Database,
  formatTime: TimeFormat,
): Record<string, unknown> {
  return {
    object: 'data_source',
    id: source.id,
    title: source.title,
    description: db.description,
    parent: { type: 'database_id', database_id: db.id },
    database_parent: { type: 'page_id', page_id: db.parentPageId },
    is_inline: db.isInline,
    in_trash: db.inTrash,
    archived: db.inTrash,
    created_time: formatTime(source.createdTime),
    last_edited_time: formatTime(source.lastEditedTime),
    created_by: user(source.createdBy),
    last_edited_by: user(source.lastEditedBy),
    properties: Object.fromEntries(source.properties.map((c) => [c.name, renderConfig(c)])),
    icon: db.icon ?? null,
    cover: db.cover ?? null,
    url: notionUrl(source.id),
    public_url: null,
  };
}

export function renderBot(bot: Bot, workspace: Workspace): Record<string, unknown> {
  return {
    object: 'user',
    id: bot.id,
    name: bot.name,
    avatar_url: null,
    type: 'bot',
    bot: {
      owner: { type: 'workspace', workspace: true },
      workspace_id: workspace.id,
      workspace_name: 'Notion emulator',
      workspace_limits: { max_file_upload_size_in_bytes: 5_242_880 },
    },
  };
}
