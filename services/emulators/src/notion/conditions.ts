/** Condition parsers shared by the property filters: each checks its operator and argument up front. */
import { invalid } from './errors.ts';
import { describe, isObject } from './rich-text.ts';

export function oneCondition(condition: unknown, path: string): [string, unknown] {
  if (!isObject(condition)) throw invalid(`${path} should be an object, instead was ${describe(condition)}.`);
  const entries = Object.entries(condition);
  if (entries.length !== 1)
    throw invalid(
      `${path} should have exactly one condition, instead had ${describe(Object.keys(condition))}.`,
    );
  return entries[0] as [string, unknown];
}

export function existence(op: string, arg: unknown, path: string, isEmpty: boolean): boolean | undefined {
  if (op !== 'is_empty' && op !== 'is_not_empty') return undefined;
  if (arg !== true) throw invalid(`${path}.${op} should be \`true\`, instead was ${describe(arg)}.`);
  return op === 'is_empty' ? isEmpty : !isEmpty;
}

export function unknownOp(op: string, path: string, ops: string): never {
  throw invalid(`${path}.${op} is not a valid condition here: use one of ${ops}.`);
}

export function stringArg(arg: unknown, path: string): string {
  if (typeof arg !== 'string') throw invalid(`${path} should be a string, instead was ${describe(arg)}.`);
  return arg;
}

export function textCondition(condition: unknown, path: string): (text: string) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (op === 'is_empty' || op === 'is_not_empty') {
    existence(op, arg, path, true);
    return (t) => (op === 'is_empty') === (t === '');
  }
  const s = stringArg(arg, `${path}.${op}`);
  switch (op) {
    case 'equals':
      return (t) => t === s;
    case 'does_not_equal':
      return (t) => t !== s;
    case 'contains':
      return (t) => t.includes(s);
    case 'does_not_contain':
      return (t) => !t.includes(s);
    case 'starts_with':
      return (t) => t !== '' && t.startsWith(s);
    case 'ends_with':
      return (t) => t !== '' && t.endsWith(s);
    default:
      return unknownOp(
        op,
        path,
        'equals, does_not_equal, contains, does_not_contain, starts_with, ends_with, is_empty, is_not_empty',
      );
  }
}

export function numberCondition(condition: unknown, path: string): (n: number | null) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (op === 'is_empty' || op === 'is_not_empty') {
    existence(op, arg, path, true);
    return (n) => (op === 'is_empty') === (n === null);
  }
  if (typeof arg !== 'number')
    throw invalid(`${path}.${op} should be a number, instead was ${describe(arg)}.`);
  const compare: Record<string, (n: number) => boolean> = {
    equals: (n) => n === arg,
    greater_than: (n) => n > arg,
    less_than: (n) => n < arg,
    greater_than_or_equal_to: (n) => n >= arg,
    less_than_or_equal_to: (n) => n <= arg,
  };
  if (op === 'does_not_equal') return (n) => n !== arg;
  const f = compare[op];
  if (!f)
    return unknownOp(
      op,
      path,
      'equals, does_not_equal, greater_than, less_than, greater_than_or_equal_to, less_than_or_equal_to, is_empty, is_not_empty',
    );
  return (n) => n !== null && f(n);
}

export function checkboxCondition(condition: unknown, path: string): (b: boolean) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (typeof arg !== 'boolean')
    throw invalid(`${path}.${op} should be a boolean, instead was ${describe(arg)}.`);
  if (op === 'equals') return (b) => b === arg;
  if (op === 'does_not_equal') return (b) => b !== arg;
  return unknownOp(op, path, 'equals, does_not_equal');
}

/** select `equals` and multi_select `contains` take a name or a list of names (any of them). */
export function namesArg(arg: unknown, path: string): string[] {
  if (typeof arg === 'string') return [arg];
  if (Array.isArray(arg) && arg.every((a) => typeof a === 'string')) return arg;
  throw invalid(`${path} should be a string or an array of strings, instead was ${describe(arg)}.`);
}

export function selectCondition(condition: unknown, path: string): (name: string | null) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (op === 'is_empty' || op === 'is_not_empty') {
    existence(op, arg, path, true);
    return (n) => (op === 'is_empty') === (n === null);
  }
  const names = namesArg(arg, `${path}.${op}`);
  if (op === 'equals') return (n) => n !== null && names.includes(n);
  if (op === 'does_not_equal') return (n) => n === null || !names.includes(n);
  return unknownOp(op, path, 'equals, does_not_equal, is_empty, is_not_empty');
}

export function listCondition(
  condition: unknown,
  path: string,
  parseArg: (arg: unknown, path: string) => string[],
): (items: string[]) => boolean {
  const [op, arg] = oneCondition(condition, path);
  if (op === 'is_empty' || op === 'is_not_empty') {
    existence(op, arg, path, true);
    return (items) => (op === 'is_empty') === (items.length === 0);
  }
  const wanted = parseArg(arg, `${path}.${op}`);
  if (op === 'contains') return (items) => wanted.some((w) => items.includes(w));
  if (op === 'does_not_contain') return (items) => !wanted.some((w) => items.includes(w));
  return unknownOp(op, path, 'contains, does_not_contain, is_empty, is_not_empty');
}
