/**
 * A Redis key template such as `patient:{id}`: literal text with `{field}` placeholders. Parsed
 * once into alternating literals and field names, so that building a key is a join. Shared by
 * the Redis sink (placeholders are key columns) and the transformer's Redis lookups (any field).
 */
export interface KeyTemplate {
  readonly source: string;
  /** `literals.length === fields.length + 1`; the key is literals[0] + value0 + literals[1] + ... */
  readonly literals: readonly string[];
  readonly fields: readonly string[];
}

/** How the problems of a template are worded for where it is used. */
export interface KeyTemplateWording {
  /** What goes inside a placeholder, e.g. 'an Avro field name'. */
  readonly placeholder: string;
  /** The message when the template has no placeholder. */
  readonly noField: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns the parsed template, or a message saying what is wrong with it. */
export function parseKeyTemplate(source: string, wording: KeyTemplateWording): KeyTemplate | string {
  const literals: string[] = [];
  const fields: string[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!FIELD_NAME.test(name)) {
      return `{${name}} is not a field name; placeholders are {field} with ${wording.placeholder} inside`;
    }
    literals.push(source.slice(last, match.index));
    fields.push(name);
    last = match.index + match[0].length;
  }
  literals.push(source.slice(last));
  // Braces left over after removing placeholders are unbalanced: a typo, not a literal.
  if (literals.some((text) => text.includes('{') || text.includes('}'))) {
    return 'has an unbalanced { or }; write placeholders as {field}';
  }
  if (fields.length === 0) return wording.noField;
  return { source, literals, fields };
}

/**
 * A key field's value as text in a name made from a key (a Redis key, a FHIR identifier): the same
 * value always gives the same text, whatever its decoded type; undefined for one that has none.
 */
export function keyPart(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
    case 'number':
    case 'boolean':
      return String(value);
    default:
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      return undefined;
  }
}
