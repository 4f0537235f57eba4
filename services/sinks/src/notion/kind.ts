import { PUBLIC_API_URLS } from '@cdc/core';
import type { SinkKind } from '../sink-kind.ts';
import { NOTION_SUPPORTS, notionSinkSchema } from './config.ts';
import { NotionSink } from './notion-sink.ts';

/**
 * Notion data sources in the registry of sink kinds (kinds.ts). Its address falls back to the
 * `notion:` section (env NOTION_URL, else Notion's API). No namespace: a namespace's clean() gets a URL and no token,
 * and Notion does nothing without one; tests and the demo keep runs apart by giving each its
 * own integration and database, which they trash themselves.
 */
export const notionKind = {
  kind: 'notion',
  title: 'Notion data sources',
  entry: notionSinkSchema,
  supports: NOTION_SUPPORTS,
  defaultTarget: 'notion',
  verifiable: false,
  create: (entry, context) =>
    new NotionSink(entry, context.url ?? PUBLIC_API_URLS.NOTION_URL, context.path, context.rateLimitWaits),
} as const satisfies SinkKind<typeof notionSinkSchema>;
