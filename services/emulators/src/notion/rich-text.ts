import { invalid, unsupported } from './errors.ts';
import type { RichTextItem } from './model.ts';

/** Limits from https://developers.notion.com/reference/request-limits (size limits for property values). */
export const LIMITS = {
  textContent: 2000,
  linkUrl: 2000,
  equation: 1000,
  arrayItems: 100,
  url: 2000,
  email: 200,
  phone: 200,
  payloadBytes: 500_000,
} as const;

const API_COLORS = new Set([
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
  ...['default', 'gray', 'brown', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'].map(
    (c) => `${c}_background`,
  ),
]);

const ANNOTATION_FLAGS = ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const;

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function describe(value: unknown): string {
  return value === undefined ? 'undefined' : `\`${JSON.stringify(value)}\``;
}

/** An array with at most `LIMITS.arrayItems` items, as every array of a request body must be. */
export function limitedArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${path} should be an array, instead was ${describe(value)}.`);
  if (value.length > LIMITS.arrayItems)
    throw invalid(`${path}.length should be ≤ \`${LIMITS.arrayItems}\`, instead was \`${value.length}\`.`);
  return value;
}

function maxLength(value: string, max: number, path: string): string {
  if (value.length > max)
    throw invalid(`${path}.length should be ≤ \`${max}\`, instead was \`${value.length}\`.`);
  return value;
}

export function stringAt(value: unknown, path: string, max?: number): string {
  if (typeof value !== 'string') throw invalid(`${path} should be a string, instead was ${describe(value)}.`);
  return max === undefined ? value : maxLength(value, max, path);
}

function annotations(value: unknown, path: string): Record<string, boolean | string> {
  const out: Record<string, boolean | string> = {
    bold: false,
    italic: false,
    strikethrough: false,
    underline: false,
    code: false,
    color: 'default',
  };
  if (value === undefined) return out;
  if (!isObject(value)) throw invalid(`${path} should be an object, instead was ${describe(value)}.`);
  for (const [key, v] of Object.entries(value)) {
    if ((ANNOTATION_FLAGS as readonly string[]).includes(key)) {
      if (typeof v !== 'boolean')
        throw invalid(`${path}.${key} should be a boolean, instead was ${describe(v)}.`);
      out[key] = v;
    } else if (key === 'color') {
      if (typeof v !== 'string' || !API_COLORS.has(v))
        throw invalid(`${path}.color should be a valid color, instead was ${describe(v)}.`);
      out.color = v;
    } else throw invalid(`${path}.${key} should be not present, instead was ${describe(v)}.`);
  }
  return out;
}

/** One rich text request item -> the response form (plain_text, href, full annotations). */
function richTextItem(value: unknown, path: string): RichTextItem {
  if (!isObject(value)) throw invalid(`${path} should be an object, instead was ${describe(value)}.`);
  const notes = annotations(value.annotations, `${path}.annotations`);
  if (value.mention !== undefined) throw unsupported(`${path}.mention (rich text mentions)`);
  if (value.text !== undefined) {
    if (value.type !== undefined && value.type !== 'text')
      throw invalid(
        `${path}.type should be \`"text"\` for a text item, instead was ${describe(value.type)}.`,
      );
    const text = value.text;
    if (!isObject(text)) throw invalid(`${path}.text should be an object, instead was ${describe(text)}.`);
    const content = stringAt(text.content, `${path}.text.content`, LIMITS.textContent);
    let link: { url: string } | null = null;
    if (text.link !== undefined && text.link !== null) {
      if (!isObject(text.link))
        throw invalid(`${path}.text.link should be an object or null, instead was ${describe(text.link)}.`);
      link = { url: stringAt(text.link.url, `${path}.text.link.url`, LIMITS.linkUrl) };
    }
    return {
      type: 'text',
      text: { content, link },
      annotations: notes,
      plain_text: content,
      href: link?.url ?? null,
    };
  }
  if (value.equation !== undefined) {
    if (!isObject(value.equation))
      throw invalid(`${path}.equation should be an object, instead was ${describe(value.equation)}.`);
    const expression = stringAt(value.equation.expression, `${path}.equation.expression`, LIMITS.equation);
    return {
      type: 'equation',
      equation: { expression },
      annotations: notes,
      plain_text: expression,
      href: null,
    };
  }
  throw invalid(`${path}.text should be defined, instead was undefined.`);
}

export function richTextArray(value: unknown, path: string): RichTextItem[] {
  return limitedArray(value, path).map((item, i) => richTextItem(item, `${path}[${i}]`));
}

export const plainText = (items: readonly RichTextItem[]): string => items.map((i) => i.plain_text).join('');
