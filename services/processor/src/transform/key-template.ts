/**
 * A Redis key template such as `facility:{facility_id}`: literal text with `{field}` placeholders.
 * Parsed once into alternating literals and field names, so that building a key is a join.
 */
export interface KeyTemplate {
  readonly source: string;
  /** `literals.length === fields.length + 1`; the key is literals[0] + value0 + literals[1] + ... */
  readonly literals: readonly string[];
  readonly fields: readonly string[];
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns the parsed template, or a message saying what is wrong with it. */
export function parseKeyTemplate(source: string): KeyTemplate | string {
  const literals: string[] = [];
  const fields: string[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!FIELD_NAME.test(name)) {
      return `{${name}} is not a field name; placeholders are {field} with an Avro field name inside`;
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
  if (fields.length === 0) {
    return "must reference at least one field, such as 'facility:{facility_id}'";
  }
  return { source, literals, fields };
}
