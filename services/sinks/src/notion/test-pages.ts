import type { PageWrite } from './replay.ts';
import type { HeldPage } from './held-page.ts';
import { parseNotionSinkConfig, type NotionSinkInput } from './config.ts';
import { compileTableMapping, type TableMapping } from './table-mapping.ts';

/**
 * For the unit tests: the conformance table `patients(id, name, email, notes, visits)` mapped to
 * a data source, and pages as Notion would hold them after the sink's writes (no server).
 */
export const BOT = '0b07b07b-0000-4000-8000-000000000001';
export const PERSON = '0e1e1e1e-0000-4000-8000-000000000002';
export const DATA_SOURCE = '1f2e3d4c-5b6a-4789-8abc-def012345678';

export const PATIENT_PROPERTIES = {
  Name: { field: 'name', type: 'title' },
  Email: { field: 'email', type: 'email' },
  Notes: { field: 'notes', type: 'rich_text' },
  Visits: { field: 'visits', type: 'number' },
} as const;

export function patientEntry(
  overrides: Partial<NotionSinkInput> = {},
  properties: object = PATIENT_PROPERTIES,
) {
  return parseNotionSinkConfig({
    kind: 'notion',
    name: 'notion-test',
    topics: ['cdc.public.patients'],
    token: 'ntn_test',
    tables: {
      'public.patients': { data_source_id: DATA_SOURCE, key_property: 'ID', key: '{id}', properties },
    },
    ...overrides,
  });
}

export function patientMapping(properties: object = PATIENT_PROPERTIES): TableMapping {
  const entry = patientEntry({}, properties);
  return compileTableMapping(
    'public.patients',
    entry.tables['public.patients']!,
    'sinks[0].tables.public.patients',
  );
}

let pages = 0;

/** The page a write leaves, as Notion holds it: the write's properties over the page's, its trash state. */
export function afterWrite(
  page: HeldPage | undefined,
  write: PageWrite,
  by = BOT,
  at = Date.now(),
): HeldPage {
  return {
    id: page?.id ?? `00000000-0000-4000-8000-${String(++pages).padStart(12, '0')}`,
    inTrash: write.trashAfter ? true : (write.inTrash ?? page?.inTrash ?? false),
    lastEditedBy: by,
    lastEditedTime: new Date(at).toISOString(),
    properties: { ...page?.properties, ...write.properties },
  };
}

/** A person's edit of a page's properties (Notion's form: `{ [type]: value }`). */
export function editedBy(page: HeldPage, properties: Record<string, unknown>, at = Date.now()): HeldPage {
  return {
    ...page,
    lastEditedBy: PERSON,
    lastEditedTime: new Date(at).toISOString(),
    properties: { ...page.properties, ...properties },
  };
}
