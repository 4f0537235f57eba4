import { formatText, formatValue, parseFormat, type Format, type FormatContext } from './formats.ts';
import { ValueProblem } from './value-problem.ts';

/**
 * A resource template: JSON whose strings may hold `{field}` or `{field|format}` placeholders,
 * compiled once into a tree that a row fills. A string that is one placeholder keeps the value's
 * JSON type; text around placeholders makes text. Null fields leave their element out, and an
 * object or list whose placeholders all came out empty goes too, constants and all: a telecom
 * entry `{ system: email, value: '{email}' }` of a row without an email would be a bare system.
 */

export interface Placeholder {
  readonly field: string;
  readonly format: Format | undefined;
  /** As written, `{given_at|dateTime}`. */
  readonly source: string;
}

export type TemplateNode =
  | { readonly kind: 'constant'; readonly value: unknown }
  | { readonly kind: 'value'; readonly placeholder: Placeholder; readonly at: string }
  | {
      readonly kind: 'text';
      readonly literals: readonly string[];
      readonly placeholders: readonly Placeholder[];
      readonly at: string;
    }
  | {
      readonly kind: 'object';
      readonly entries: readonly (readonly [string, TemplateNode])[];
      readonly dynamic: boolean;
    }
  | { readonly kind: 'array'; readonly items: readonly TemplateNode[]; readonly dynamic: boolean };

export type TemplatePath = readonly (string | number)[];

export interface TemplateIssue {
  readonly path: TemplatePath;
  readonly message: string;
}

/** A row value that cannot become its element; `field` names the row field. */
export class TemplateFailure extends Error {
  override readonly name = 'TemplateFailure';
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

const PLACEHOLDER = /\{([^{}]*)\}/gu;
// What a column name can be in Avro (and so in a row); the same rule as @cdc/core's key templates.
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;

type ParsedString =
  | { readonly kind: 'constant'; readonly value: string }
  | {
      readonly kind: 'placeholders';
      readonly literals: readonly string[];
      readonly placeholders: readonly Placeholder[];
    };

/** A template string's literals and placeholders, or what is wrong with it. */
export function parseTemplateString(text: string): ParsedString | string {
  const literals: string[] = [];
  const placeholders: Placeholder[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const [field = '', spec, ...more] = (match[1] ?? '').split('|');
    if (!FIELD_NAME.test(field) || more.length > 0) {
      return `${match[0]} is not a placeholder; write {field} or {field|format} with a column name as field`;
    }
    const format = spec === undefined ? undefined : parseFormat(spec);
    if (typeof format === 'string') return `${match[0]}: ${format}`;
    literals.push(text.slice(last, match.index));
    placeholders.push({ field, format, source: match[0] });
    last = match.index + match[0].length;
  }
  literals.push(text.slice(last));
  // Braces left over are unbalanced: a typo, not a literal.
  if (literals.some((literal) => literal.includes('{') || literal.includes('}'))) {
    return `'${text}' has an unbalanced { or }; write placeholders as {field} or {field|format}`;
  }
  if (placeholders.length === 0) return { kind: 'constant', value: text };
  const isWhole = placeholders.length === 1 && literals.every((literal) => literal === '');
  const coding = placeholders.find((placeholder) => placeholder.format?.name === 'code');
  if (!isWhole && coding) {
    return `${coding.source} makes a Coding, so it must be the whole string ('${coding.source}'), not part of text`;
  }
  return { kind: 'placeholders', literals, placeholders };
}

/** `telecom[0].value`: an element path as FHIR writes it. */
export function elementPath(path: TemplatePath): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function isDynamic(node: TemplateNode): boolean {
  return (
    node.kind === 'value' ||
    node.kind === 'text' ||
    ((node.kind === 'object' || node.kind === 'array') && node.dynamic)
  );
}

/** Compiles the template at `path`; problems are added to `issues` (the node is then unusable). */
export function compileTemplate(json: unknown, path: TemplatePath, issues: TemplateIssue[]): TemplateNode {
  if (typeof json === 'string') {
    const parsed = parseTemplateString(json);
    if (typeof parsed === 'string') {
      issues.push({ path, message: parsed });
      return { kind: 'constant', value: undefined };
    }
    if (parsed.kind === 'constant') return parsed;
    const at = elementPath(path);
    const [first] = parsed.placeholders;
    if (first && parsed.placeholders.length === 1 && parsed.literals.every((literal) => literal === '')) {
      return { kind: 'value', placeholder: first, at };
    }
    return { kind: 'text', literals: parsed.literals, placeholders: parsed.placeholders, at };
  }
  if (Array.isArray(json)) {
    const items = json.map((item: unknown, i) => compileTemplate(item, [...path, i], issues));
    return { kind: 'array', items, dynamic: items.some(isDynamic) };
  }
  if (typeof json === 'object' && json !== null) {
    const entries = Object.entries(json).map(([key, value]: [string, unknown]) => {
      // Filling would set the object's prototype; no FHIR element is called so.
      if (key === '__proto__') issues.push({ path: [...path, key], message: 'is not a FHIR element name' });
      return [key, compileTemplate(value, [...path, key], issues)] as const;
    });
    return { kind: 'object', entries, dynamic: entries.some(([, node]) => isDynamic(node)) };
  }
  // Null leaves the element out, as a null field does.
  return { kind: 'constant', value: json ?? undefined };
}

/** Every placeholder of a template, with the path of the string holding it. */
export function* placeholdersOf(
  node: TemplateNode,
  path: TemplatePath = [],
): Generator<{ readonly placeholder: Placeholder; readonly path: TemplatePath }> {
  switch (node.kind) {
    case 'value':
      yield { placeholder: node.placeholder, path };
      return;
    case 'text':
      for (const placeholder of node.placeholders) yield { placeholder, path };
      return;
    case 'object':
      for (const [key, child] of node.entries) yield* placeholdersOf(child, [...path, key]);
      return;
    case 'array':
      for (const [i, child] of node.items.entries()) yield* placeholdersOf(child, [...path, i]);
      return;
    case 'constant':
      return;
  }
}

function failure(placeholder: Placeholder, at: string, problem: unknown): never {
  if (!(problem instanceof ValueProblem)) throw problem;
  throw new TemplateFailure(`field ${placeholder.field}: ${problem.message} (in ${at})`, placeholder.field);
}

function fillValue(
  row: Readonly<Record<string, unknown>>,
  placeholder: Placeholder,
  at: string,
  context: FormatContext,
) {
  const value = row[placeholder.field];
  if (value === null || value === undefined) return undefined;
  try {
    return formatValue(value, placeholder.format, context);
  } catch (problem) {
    return failure(placeholder, at, problem);
  }
}

function fillText(
  node: Extract<TemplateNode, { kind: 'text' }>,
  row: Readonly<Record<string, unknown>>,
  context: FormatContext,
) {
  let text = node.literals[0] ?? '';
  for (const [i, placeholder] of node.placeholders.entries()) {
    const value = row[placeholder.field];
    // 'imm-' of a row without its number would name nothing: the whole element goes.
    if (value === null || value === undefined) return undefined;
    let part: string | undefined;
    try {
      part = formatText(value, placeholder.format, context);
    } catch (problem) {
      return failure(placeholder, node.at, problem);
    }
    if (part === undefined) return undefined;
    text += part + (node.literals[i + 1] ?? '');
  }
  return text;
}

/**
 * The JSON a row makes of a template node; undefined: the element is left out. Throws
 * TemplateFailure for a value that cannot become its element.
 */
export function fillTemplate(
  node: TemplateNode,
  row: Readonly<Record<string, unknown>>,
  context: FormatContext,
): unknown {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'value':
      return fillValue(row, node.placeholder, node.at, context);
    case 'text':
      return fillText(node, row, context);
    case 'array': {
      const items: unknown[] = [];
      let filled = false;
      for (const item of node.items) {
        const value = fillTemplate(item, row, context);
        if (value === undefined) continue;
        // A list column in a list, `given: ['{first}', '{middle_names}']`, adds its elements.
        if (item.kind === 'value' && Array.isArray(value)) items.push(...(value as unknown[]));
        else items.push(value);
        filled ||= isDynamic(item);
      }
      return items.length === 0 || (node.dynamic && !filled) ? undefined : items;
    }
    case 'object': {
      const object: Record<string, unknown> = {};
      let present = false;
      let filled = false;
      for (const [key, child] of node.entries) {
        const value = fillTemplate(child, row, context);
        if (value === undefined) continue;
        object[key] = value;
        present = true;
        filled ||= isDynamic(child);
      }
      return !present || (node.dynamic && !filled) ? undefined : object;
    }
  }
}
