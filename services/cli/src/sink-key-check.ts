import { errorMessage, redactUrl, type ConfigPath } from '@cdc/core';
import type { PipelineConfig } from '@cdc/pipeline';
import { parseKeyTemplate, unnamedKeyFields, unnamedKeyFieldsReason } from '@cdc/sinks';

/**
 * `cdc config check` beyond the file itself: each Redis sink's key template against the key
 * schema of each of its topics, as the registry holds it now (`<topic>-key`, latest version),
 * with the rule the sink itself applies to every event (unnamedKeyFields). MongoDB sinks put
 * every key field in `_id` and Redis sinks without `key:` use every key value, so only Redis
 * sinks with a template are checked.
 */

export interface SinkKeyCheck {
  /** Sinks whose template leaves out fields of a topic's key: `<path>: <reason>`. */
  readonly problems: string[];
  /** What could not be checked, and why, in words. */
  readonly unchecked: string[];
  /** Topics whose key schema every template names fully. */
  readonly checked: string[];
}

type KeySchema =
  | { readonly kind: 'found'; readonly fields: string[]; readonly version: number }
  | { readonly kind: 'none' }
  | { readonly kind: 'unreachable'; readonly problem: string }
  | { readonly kind: 'unreadable'; readonly problem: string };

const REGISTRY_TIMEOUT_MS = 5000;

export async function checkSinkKeys(
  config: PipelineConfig,
  lineOf: (path: ConfigPath) => number | undefined = () => undefined,
): Promise<SinkKeyCheck> {
  const result = { problems: [] as string[], unchecked: [] as string[], checked: [] as string[] };
  const registry = config.registry.url.replace(/\/+$/u, '');
  const schemas = new Map<string, Promise<KeySchema>>();
  for (const [index, sink] of config.sinks.entries()) {
    if (sink.kind !== 'redis' || sink.key === undefined) continue;
    const template = parseKeyTemplate(sink.key);
    if (typeof template === 'string') continue; // the file's own check reported it
    const path: ConfigPath = ['sinks', index, 'key'];
    const line = lineOf(path);
    const where = `sinks[${index}].key${line === undefined ? '' : ` (line ${line})`}`;
    for (const topic of sink.topics) {
      let schema = schemas.get(topic);
      if (!schema) schemas.set(topic, (schema = latestKeySchema(registry, topic)));
      const found = await schema;
      if (found.kind === 'unreachable') {
        result.unchecked.push(
          `${where} of sink ${sink.name} against topic ${topic}: the schema registry at ${redactUrl(registry)} did not answer (${found.problem})`,
        );
      } else if (found.kind === 'unreadable') {
        result.unchecked.push(
          `${where} of sink ${sink.name} against topic ${topic}: its key schema could not be read (${found.problem})`,
        );
      } else if (found.kind === 'none') {
        result.unchecked.push(
          `${where} of sink ${sink.name} against topic ${topic}: no key schema is registered for it yet (subject ${topic}-key); check again once records have been written to it`,
        );
      } else {
        const unnamed = unnamedKeyFields(template, found.fields);
        if (unnamed.length === 0) result.checked.push(topic);
        else {
          const of = `topic ${topic} (key schema ${topic}-key, version ${found.version}: ${found.fields.join(', ')})`;
          result.problems.push(
            `${where}: ${unnamedKeyFieldsReason(template, unnamed, of)}; until then sink ${sink.name} dead-letters every record of it`,
          );
        }
      }
    }
  }
  return result;
}

/** The field names of the latest `<topic>-key` schema, or why there are none to read. */
async function latestKeySchema(registry: string, topic: string): Promise<KeySchema> {
  let response: Response;
  try {
    response = await fetch(`${registry}/subjects/${encodeURIComponent(`${topic}-key`)}/versions/latest`, {
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'unreachable', problem: errorMessage((error as { cause?: unknown }).cause ?? error) };
  }
  if (response.status === 404) return { kind: 'none' };
  if (!response.ok) return { kind: 'unreachable', problem: `HTTP ${response.status}` };
  try {
    const body = (await response.json()) as { schema: string; version: number };
    const schema = JSON.parse(body.schema) as { type?: unknown; fields?: Array<{ name: string }> };
    if (schema.type !== 'record' || !Array.isArray(schema.fields)) {
      return { kind: 'unreadable', problem: `${topic}-key is not an Avro record` };
    }
    return { kind: 'found', fields: schema.fields.map((field) => field.name), version: body.version };
  } catch (error) {
    return { kind: 'unreadable', problem: errorMessage(error) };
  }
}
