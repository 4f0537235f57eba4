import { ValueProblem } from '../fhir/mapping/value-problem.ts';

/**
 * Notion's size limits on rich text (https://developers.notion.com/reference/request-limits#limits-for-property-values):
 * the `text.content` of one rich text object holds at most 2000 characters, and a property value
 * holds at most 100 of them. Longer text is split into several objects, which Notion shows as one
 * text; past 100 objects it cannot be written.
 */
export const MAX_TEXT_CONTENT = 2000;
export const MAX_RICH_TEXT_ITEMS = 100;
export const MAX_TEXT_LENGTH = MAX_TEXT_CONTENT * MAX_RICH_TEXT_ITEMS;

export interface RichTextItem {
  readonly type: 'text';
  readonly text: { readonly content: string };
}

/** Text as the rich text objects of a title or rich_text property value; empty text is none. */
export function richText(text: string): RichTextItem[] {
  const items: RichTextItem[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(at + MAX_TEXT_CONTENT, text.length);
    // A surrogate pair is one character: never cut between its halves.
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    items.push({ type: 'text', text: { content: text.slice(at, end) } });
    at = end;
  }
  if (items.length > MAX_RICH_TEXT_ITEMS) {
    throw new ValueProblem(
      `is ${text.length} characters long: Notion holds at most ${MAX_RICH_TEXT_ITEMS} rich text objects of ` +
        `${MAX_TEXT_CONTENT} characters in a property (${MAX_TEXT_LENGTH} characters)`,
    );
  }
  return items;
}

/** The text of a title or rich_text property value as Notion returns it (objects with `plain_text`). */
export function plainText(items: unknown): string {
  if (!Array.isArray(items)) return '';
  return items
    .map((item: { plain_text?: unknown; text?: { content?: unknown } }) => {
      if (typeof item.plain_text === 'string') return item.plain_text;
      return typeof item.text?.content === 'string' ? item.text.content : '';
    })
    .join('');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
