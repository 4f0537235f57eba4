import { CdcError, keyPart, parseKeyTemplate, type KeyTemplate, type SinkRow } from '@cdc/core';
import { codeTableIssues, type FhirCodeTables, type FhirResourceMappingConfig } from './config.ts';
import type { FormatContext } from './formats.ts';
import { copyAt, fieldPaths, readAt } from './field-paths.ts';
import { onDeleteDefault } from './on-delete.ts';
import {
  TemplateFailure,
  compileTemplate,
  elementPath,
  fillTemplate,
  placeholdersOf,
  type TemplateIssue,
  type TemplateNode,
} from './template.ts';
import { isTimeZone } from './time-zone.ts';
import type { FhirResource, KeptElement, MappingFailure, ResourceMapping } from './types.ts';
import { shown } from './value-problem.ts';

interface TopLevelElement {
  readonly name: string;
  readonly node: TemplateNode;
  readonly fields: ReadonlySet<string>;
  /** Extensions with a constant url, each kept or filled on its own (KeptElement). */
  readonly extensions?: readonly ExtensionItem[];
}

interface ExtensionItem {
  readonly url: string;
  readonly node: TemplateNode;
  readonly fields: ReadonlySet<string>;
}

const EXTENSION_ELEMENTS = new Set(['extension', 'modifierExtension']);

const fieldsOf = (node: TemplateNode) =>
  new Set([...placeholdersOf(node)].map(({ placeholder }) => placeholder.field));

/** The items of an extension list, when each has a constant url (else it is one element). */
function extensionItems(name: string, json: unknown, issues: TemplateIssue[]): ExtensionItem[] | undefined {
  if (!EXTENSION_ELEMENTS.has(name) || !Array.isArray(json)) return undefined;
  const urls = json.map((item) =>
    item && typeof item === 'object' ? (item as { url?: unknown }).url : undefined,
  );
  if (!urls.every((url) => typeof url === 'string' && !url.includes('{'))) return undefined;
  return json.map((item, index) => {
    const node = compileTemplate(item, [name, index], issues);
    return { url: urls[index] as string, node, fields: fieldsOf(node) };
  });
}

function identifierValue(template: KeyTemplate, key: SinkRow): { readonly value: string } | MappingFailure {
  let value = template.literals[0] ?? '';
  for (const [i, field] of template.fields.entries()) {
    const part = key[field];
    if (part === undefined && !Object.hasOwn(key, field)) {
      const known = Object.keys(key);
      return {
        reason:
          `the key has no field ${field} for identifier value '${template.source}' ` +
          `(key fields: ${known.length > 0 ? known.join(', ') : 'none'})`,
        field,
      };
    }
    const text = keyPart(part);
    if (text === undefined) {
      return {
        reason: `the key field ${field} is ${part === null ? 'null' : shown(part)}, which identifier value '${template.source}' cannot hold`,
        field,
      };
    }
    value += text + (template.literals[i + 1] ?? '');
  }
  // FHIR has no empty strings: a resource identified by nothing could never be found again.
  if (value === '') return { reason: `identifier value '${template.source}' is empty for this key` };
  return { value };
}

/** The inverse of identifierValue: the key fields of an identifier value, read by the template's literals. */
function keyParser(template: KeyTemplate): (value: string) => SinkRow | undefined {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  const pattern = new RegExp(`^${template.literals.map(literal).join('(.*?)')}$`, 'u');
  return (value) => {
    const match = pattern.exec(value);
    return match ? Object.fromEntries(template.fields.map((field, i) => [field, match[i + 1]])) : undefined;
  };
}

function invalidMapping(config: FhirResourceMappingConfig, issues: readonly TemplateIssue[]): CdcError {
  const problems = issues.map((issue) => `${elementPath(issue.path)}: ${issue.message}`);
  return new CdcError('INVALID_CONFIG', `invalid FHIR mapping of ${config.type}: ${problems.join('; ')}`, {
    fix: 'check the mapping with fhirResourceMappingSchema and codeTableIssues before compiling it',
    details: { problems },
  });
}

/**
 * The mapping of one topic, compiled once: its template parsed, its code tables and zone bound.
 * Takes a config the schemas accepted; throws a CdcError (INVALID_CONFIG) for one they would not.
 */
export function compileResourceMapping(
  config: FhirResourceMappingConfig,
  codes: FhirCodeTables,
  timeZone: string,
): ResourceMapping {
  const issues: TemplateIssue[] = [...codeTableIssues(config, codes)];
  const templateIssues: TemplateIssue[] = [];
  const elements: TopLevelElement[] = Object.entries(config.resource).map(([name, json]) => {
    // Paths from the resource, as failures name elements: vaccineCode.coding[0].
    const extensions = extensionItems(name, json, templateIssues);
    // Its issues were reported item by item already when it has items.
    const node = compileTemplate(json, [name], extensions ? [] : templateIssues);
    return { name, node, fields: fieldsOf(node), ...(extensions ? { extensions } : {}) };
  });
  issues.push(...templateIssues.map((issue) => ({ ...issue, path: ['resource', ...issue.path] })));
  if (!isTimeZone(timeZone))
    issues.push({ path: ['time_zone'], message: `${timeZone} is not an IANA time zone` });
  const identifier = parseKeyTemplate(config.identifier.value, {
    placeholder: 'a key column',
    noField: 'names no key column',
  });
  if (typeof identifier === 'string') issues.push({ path: ['identifier', 'value'], message: identifier });
  const onDelete = config.on_delete ?? onDeleteDefault(config.type);
  if (!onDelete)
    issues.push({ path: ['on_delete'], message: `${config.type} has no default; set on_delete` });
  if (issues.length > 0 || typeof identifier === 'string' || !onDelete) throw invalidMapping(config, issues);

  const context: FormatContext = { zone: timeZone, codes };
  const paths = fieldPaths(elements.map((element) => [element.name, element.node] as const));
  const system = config.identifier.system;
  const fields = [...new Set(elements.flatMap((element) => [...element.fields]))];

  return {
    resourceType: config.type,
    identifierSystem: system,
    fields,
    onDelete,
    identifierOf: (key) => identifierValue(identifier, key),
    keyOfIdentifier: keyParser(identifier),
    readFields: (resource) =>
      Object.fromEntries([...paths].map(([field, steps]) => [field, readAt(resource, steps) ?? null])),
    withFieldFrom: (resource, from, field) => {
      const steps = paths.get(field);
      return steps ? copyAt(resource, from, steps) : resource;
    },
    map(row, key, unchanged) {
      const id = identifierValue(identifier, key);
      if ('reason' in id) return id;
      const resource: Record<string, unknown> = {
        resourceType: config.type,
        identifier: [{ system, value: id.value }],
      };
      const keep: KeptElement[] = [];
      const isUnchanged = (fields: ReadonlySet<string>) => unchanged.some((field) => fields.has(field));
      try {
        for (const element of elements) {
          if (element.extensions && isUnchanged(element.fields)) {
            const filled: unknown[] = [];
            for (const item of element.extensions) {
              if (isUnchanged(item.fields)) keep.push({ element: element.name, url: item.url });
              else {
                const value = fillTemplate(item.node, row, context);
                if (value !== undefined) filled.push(value);
              }
            }
            if (filled.length > 0) resource[element.name] = filled;
            continue;
          }
          // A field PostgreSQL did not send is null here, not empty: the server's element stays.
          if (isUnchanged(element.fields)) {
            keep.push({ element: element.name });
            continue;
          }
          const value = fillTemplate(element.node, row, context);
          if (value !== undefined) resource[element.name] = value;
        }
      } catch (error) {
        if (error instanceof TemplateFailure) return { reason: error.message, field: error.field };
        throw error;
      }
      return { resource: resource as FhirResource, keep };
    },
  };
}
