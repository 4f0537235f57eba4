/** The emulator's in-memory workspace: what Notion keeps, in the shapes the handlers need. */

export const SELECT_COLORS = [
  'default',
  'gray',
  'brown',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'red',
] as const;
export type SelectColor = (typeof SELECT_COLORS)[number];

export interface RichTextItem {
  readonly type: 'text' | 'equation';
  readonly text?: { readonly content: string; readonly link: { readonly url: string } | null };
  readonly equation?: { readonly expression: string };
  readonly annotations: Readonly<Record<string, boolean | string>>;
  readonly plain_text: string;
  readonly href: string | null;
}

export interface SelectOption {
  readonly id: string;
  readonly name: string;
  readonly color: SelectColor;
  readonly description: string | null;
}

export type WritableType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'date'
  | 'checkbox'
  | 'email'
  | 'phone_number'
  | 'url'
  | 'relation';
export type ComputedType = 'created_time' | 'last_edited_time' | 'created_by' | 'last_edited_by';
export type PropertyType = WritableType | ComputedType;

export interface PropertyConfig {
  readonly id: string;
  readonly name: string;
  readonly type: PropertyType;
  readonly description: string | null;
  /** number */
  readonly format?: string;
  /** select, multi_select: grows when a page names an option that does not exist yet */
  readonly options?: SelectOption[];
  /** relation */
  readonly relation?: { readonly dataSourceId: string; readonly databaseId: string };
}

export interface DateValue {
  readonly start: string;
  readonly end: string | null;
  readonly time_zone: string | null;
}

/** Stored page values, keyed by property id. Select values are option ids, relation values page ids. */
export type StoredValue = RichTextItem[] | number | null | string | string[] | boolean | DateValue;

export type PageParent =
  | { readonly type: 'data_source_id'; readonly dataSourceId: string; readonly databaseId: string }
  | { readonly type: 'page_id'; readonly pageId: string }
  | { readonly type: 'workspace' };

export interface Page {
  readonly id: string;
  /** Creation order: the tie-breaker that keeps query order and cursors stable. */
  readonly seq: number;
  readonly parent: PageParent;
  readonly values: Map<string, StoredValue>;
  readonly createdTime: number;
  readonly createdBy: string;
  lastEditedTime: number;
  lastEditedBy: string;
  inTrash: boolean;
  icon: unknown;
  cover: unknown;
}

export interface DataSource {
  readonly id: string;
  readonly databaseId: string;
  readonly title: RichTextItem[];
  /** In creation order; looked up by name or id. */
  readonly properties: PropertyConfig[];
  readonly createdTime: number;
  readonly createdBy: string;
  lastEditedTime: number;
  lastEditedBy: string;
}

export interface Database {
  readonly id: string;
  readonly parentPageId: string;
  readonly title: RichTextItem[];
  readonly description: RichTextItem[];
  readonly isInline: boolean;
  readonly dataSourceIds: string[];
  readonly createdTime: number;
  readonly createdBy: string;
  lastEditedTime: number;
  inTrash: boolean;
  icon: unknown;
  cover: unknown;
}

export interface Bot {
  readonly id: string;
  readonly name: string;
  readonly token: string;
  readonly rootPageId: string;
}

export class Workspace {
  readonly id: string;
  readonly bots = new Map<string, Bot>();
  readonly botsByToken = new Map<string, Bot>();
  readonly pages = new Map<string, Page>();
  readonly databases = new Map<string, Database>();
  readonly dataSources = new Map<string, DataSource>();
  #seq = 0;

  constructor(id: string) {
    this.id = id;
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  /** Pages of one data source, in creation order (trashed ones too: the query decides). */
  pagesOf(dataSourceId: string): Page[] {
    return [...this.pages.values()].filter(
      (p) => p.parent.type === 'data_source_id' && p.parent.dataSourceId === dataSourceId,
    );
  }
}

export function findProperty(source: DataSource, nameOrId: string): PropertyConfig | undefined {
  return (
    source.properties.find((p) => p.name === nameOrId) ?? source.properties.find((p) => p.id === nameOrId)
  );
}
