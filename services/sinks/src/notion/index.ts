export {
  NOTION_REQUEST_RATE,
  NOTION_SUPPORTS,
  notionSinkSchema,
  parseNotionSinkConfig,
  type NotionSinkConfig,
  type NotionSinkInput,
} from './config.ts';
export { notionKind } from './kind.ts';
export { NotionSink } from './notion-sink.ts';
