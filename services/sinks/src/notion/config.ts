import { z } from 'zod';
import { MAPPING_ERROR, PUBLIC_API_URLS, secretSetting, stackEnvSchema } from '@cdc/core';
import { concurrencySetting, requestsSetting, timeoutMsSetting } from '../http/http-settings.ts';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';
import { notionPropertySchema, tableNameSetting, textTemplateSetting } from './property-config.ts';

/**
 * People edit Notion pages, and every page says who edited it last (`last_edited_by`), so the sink
 * sees their changes (conflicts.ts). A deleted row's page goes to the trash carrying the delete's
 * version (sync-state.ts): the trash is its version marker, for as long as Notion keeps it (no
 * retention setting of ours).
 */
export const NOTION_SUPPORTS = { conflicts: true, deleteMarkers: false, versionGuard: 'target' } as const;

/**
 * "The rate limit for incoming requests per integration is an average of three requests per
 * second. Some bursts beyond the average rate are allowed."
 * (https://developers.notion.com/reference/request-limits). The docs give no size for the bursts,
 * so the default takes none: no 10 s window ever holds more than the average allows (30), and
 * once busy the rate is the same.
 */
export const NOTION_REQUEST_RATE = { perSecond: 3, burst: 1 } as const;

export const DEFAULT_SYNC_PROPERTY = 'CDC sync';

// Notion property names are free text (https://developers.notion.com/reference/property-object).
const propertyName = z
  .string({ error: 'must be the name of a property of the data source' })
  .trim()
  .min(1, 'must be the name of a property of the data source');

// Notion ids are UUIDs, written with or without hyphens (a data source URL shows them without).
const notionId = z
  .string({ error: 'must be a Notion id, such as 1f2e3d4c-5b6a-4789-8abc-def012345678' })
  .regex(
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/iu,
    'must be a Notion id (32 hexadecimal digits, hyphens optional): open the database, ••• > Manage data sources > Copy data source ID',
  );

const tableSchema = z
  .strictObject(
    {
      data_source_id: notionId.describe(
        'The data source (the table of a Notion database) whose pages the rows become; share it with the integration',
      ),
      key_property: propertyName.describe(
        "A title or rich_text property holding each page's row key as text (the `key` template): the sink finds pages by it",
      ),
      key: textTemplateSetting.describe(
        "The row key as text, from the key's fields, such as '{id}'; relations from other tables name rows by it",
      ),
      sync_property: propertyName
        .default(DEFAULT_SYNC_PROPERTY)
        .describe(
          `A rich_text property the sink keeps its bookkeeping in (the version written and a hash per property, ` +
            `compact JSON); default '${DEFAULT_SYNC_PROPERTY}'. Hide it in views; do not edit it`,
        ),
      properties: z
        .record(propertyName, notionPropertySchema, {
          error: (issue) =>
            issue.code === 'invalid_type'
              ? 'must be a mapping of property names to { field, type }, such as { Email: { field: email, type: email } }'
              : undefined,
        })
        .refine((properties) => Object.keys(properties).length > 0, {
          error: 'must map at least one property, such as { Name: { field: name, type: title } }',
        })
        .describe(
          'The properties the sink writes, by Notion property name: { field (or template), type, options }',
        ),
    },
    MAPPING_ERROR,
  )
  .check((ctx) => {
    const { key_property: key, sync_property: sync, properties } = ctx.value;
    const clash = (path: string, message: string) =>
      ctx.issues.push({ code: 'custom', input: ctx.value, path: [path], message });
    if (key === sync) clash('sync_property', `must differ from key_property (${key})`);
    if (Object.hasOwn(properties, key))
      clash('properties', `must not map ${key}: the sink writes the key_property itself`);
    if (Object.hasOwn(properties, sync))
      clash('properties', `must not map ${sync}: the sink keeps its bookkeeping there (sync_property)`);
  });

/**
 * The `sinks:` entry of a Notion sink, e.g.
 *
 *   - kind: notion
 *     name: crm
 *     topics: [cdc.public.patients]
 *     token: { env: NOTION_TOKEN }
 *     tables:
 *       public.patients:
 *         data_source_id: 1f2e3d4c-5b6a-4789-8abc-def012345678
 *         key_property: ID
 *         key: '{id}'
 *         properties:
 *           Name: { field: name, type: title }
 *           Email: { field: email, type: email }
 */
export const notionSinkSchema = sinkEntry('notion', NOTION_SUPPORTS, {
  url: stackEnvSchema.shape.NOTION_URL.optional().describe(
    `Notion API base URL (default: notion.url, else env NOTION_URL, else ${PUBLIC_API_URLS.NOTION_URL})`,
  ),
  token: secretSetting.describe(
    "The integration's token (an internal integration's secret, ntn_...): the secret, { env: NAME } or { file: PATH }",
  ),
  tables: z
    .record(tableNameSetting, tableSchema, {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'must be a mapping of source tables to data sources, such as { public.patients: { data_source_id: ..., ... } }'
          : undefined,
    })
    .refine((tables) => Object.keys(tables).length > 0, {
      error: 'must map at least one source table, such as { public.patients: { data_source_id: ..., ... } }',
    })
    .describe(
      "For each source table (<schema>.<table>, as a change event's source names it): the data source its rows become pages of",
    ),
  requests: requestsSetting(NOTION_REQUEST_RATE).describe(
    'Request budget of the integration: Notion allows an average of 3 requests per second ' +
      '(https://developers.notion.com/reference/request-limits); a 429 with Retry-After pauses every request until then. ' +
      "Keep burst a little under the integration's own: requests reach Notion a few ms after they leave",
  ),
  timeout_ms: timeoutMsSetting,
  concurrency: concurrencySetting(NOTION_REQUEST_RATE.perSecond),
})
  .check((ctx) => {
    const tables = ctx.value.tables;
    for (const [table, mapping] of Object.entries(tables)) {
      for (const [name, property] of Object.entries(mapping.properties)) {
        if (property.type !== 'relation' || property.table === undefined) continue;
        if (!Object.hasOwn(tables, property.table)) {
          ctx.issues.push({
            code: 'custom',
            input: property,
            path: ['tables', table, 'properties', name, 'table'],
            message: `${property.table} is not a table of this sink: map it under tables too, or give page ids without table`,
          });
        }
      }
    }
  })
  .describe(
    'Notion sink: each row a page of a data source, found by its key property, written never backwards, ' +
      "people's edits seen as conflicts",
  );

export type NotionSinkConfig = z.output<typeof notionSinkSchema>;
export type NotionSinkInput = z.input<typeof notionSinkSchema>;
export type NotionTableConfig = NotionSinkConfig['tables'][string];

export function parseNotionSinkConfig(input: unknown): NotionSinkConfig {
  return parseSinkEntry(notionSinkSchema, input, 'Notion');
}
