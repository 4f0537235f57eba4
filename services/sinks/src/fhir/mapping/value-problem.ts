/**
 * What is wrong with one row value, in words that leave out which field it came from: the
 * template, which knows the field and the element, adds them (template.ts).
 */
export class ValueProblem extends Error {
  override readonly name = 'ValueProblem';
}

const MAX_SHOWN = 80;

/** A value as a reason quotes it: text in quotes, cut short, so one odd value cannot flood a log. */
export function shown(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = `'${value}'`;
  else if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    text = String(value);
  else if (value instanceof Uint8Array) text = `${value.length} bytes`;
  else if (Array.isArray(value)) text = `a list of ${value.length}`;
  else text = typeof value;
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}
