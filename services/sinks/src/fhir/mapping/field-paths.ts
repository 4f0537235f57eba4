import type { TemplateNode } from './template.ts';
import type { FhirResource } from './types.ts';

/**
 * Where a row field lands in its resource, for reading it back (conflict detection: which fields
 * someone changed at the server) and for putting the server's value back (the merge policy).
 * Only a field that is a whole placeholder somewhere (`value: '{email}'`) has a place; the first
 * such place counts. An array item is found by its constants (`{ system: email, value: ... }` is
 * the item whose system is email; an extension, the one of its url), as null fields drop items
 * and shift positions; an item without constants by its position.
 */
export type Step =
  | { readonly key: string }
  | { readonly match: Readonly<Record<string, unknown>> }
  | { readonly index: number };

export type FieldPaths = ReadonlyMap<string, readonly Step[]>;

export function fieldPaths(elements: readonly (readonly [string, TemplateNode])[]): FieldPaths {
  const paths = new Map<string, readonly Step[]>();
  const visit = (node: TemplateNode, steps: readonly Step[]): void => {
    switch (node.kind) {
      case 'value':
        if (!paths.has(node.placeholder.field)) paths.set(node.placeholder.field, steps);
        return;
      case 'object':
        for (const [key, child] of node.entries) visit(child, [...steps, { key }]);
        return;
      case 'array':
        node.items.forEach((item, index) => visit(item, [...steps, itemStep(item, index)]));
        return;
      default:
        return;
    }
  };
  for (const [name, node] of elements) visit(node, [{ key: name }]);
  return paths;
}

function itemStep(item: TemplateNode, index: number): Step {
  if (item.kind !== 'object') return { index };
  const constants = item.entries.filter(
    ([, child]) => child.kind === 'constant' && (typeof child.value !== 'object' || child.value === null),
  );
  if (constants.length === 0) return { index };
  return {
    match: Object.fromEntries(constants.map(([key, child]) => [key, (child as { value: unknown }).value])),
  };
}

/** The value at a field's place in a resource; undefined where there is none. */
export function readAt(resource: FhirResource, steps: readonly Step[]): unknown {
  let current: unknown = resource;
  for (const step of steps) {
    if (current === undefined || current === null) return undefined;
    if ('key' in step) current = (current as Record<string, unknown>)[step.key];
    else if (!Array.isArray(current)) return undefined;
    else if ('index' in step) current = current[step.index];
    else current = current.find((item) => matches(item, step.match));
  }
  return current;
}

/**
 * The resource with the place of a field taken from `from` (another resource of the type): the
 * innermost thing both have is where `from`'s part goes, so an item or object `resource` lacks
 * comes whole. Nothing changes where `from` has nothing.
 */
export function copyAt(resource: FhirResource, from: FhirResource, steps: readonly Step[]): FhirResource {
  const copy = structuredClone(resource) as Record<string, unknown>;
  let target: unknown = copy;
  let source: unknown = from;
  for (const [i, step] of steps.entries()) {
    const last = i === steps.length - 1;
    const sourceNext = childOf(source, step);
    if (sourceNext === undefined) return resource;
    const targetNext = childOf(target, step);
    if (last || targetNext === undefined || targetNext === null) {
      put(target, step, structuredClone(sourceNext));
      return copy as FhirResource;
    }
    target = targetNext;
    source = sourceNext;
  }
  return copy as FhirResource;
}

function childOf(parent: unknown, step: Step): unknown {
  if (parent === undefined || parent === null) return undefined;
  if ('key' in step) return (parent as Record<string, unknown>)[step.key];
  if (!Array.isArray(parent)) return undefined;
  return 'index' in step ? parent[step.index] : parent.find((item) => matches(item, step.match));
}

function put(parent: unknown, step: Step, value: unknown): void {
  if ('key' in step) {
    (parent as Record<string, unknown>)[step.key] = value;
    return;
  }
  if (!Array.isArray(parent)) return;
  const at = 'index' in step ? step.index : parent.findIndex((item) => matches(item, step.match));
  if (at >= 0 && at < parent.length) parent[at] = value;
  else parent.push(value);
}

function matches(item: unknown, match: Readonly<Record<string, unknown>>): boolean {
  if (!item || typeof item !== 'object') return false;
  return Object.entries(match).every(([key, value]) => (item as Record<string, unknown>)[key] === value);
}
