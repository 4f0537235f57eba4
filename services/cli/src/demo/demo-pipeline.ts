import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readStackEnv, readYamlFile, type StackEnv } from '@cdc/core';
import { readStackSettings } from '@cdc/stack/settings';
import { parsePipelineConfig, type PipelineConfig } from '@cdc/pipeline';
import { ALL_SINK_KINDS } from '@cdc/sinks';
import { postgresDatabaseUrl } from '@cdc/stack/namespace';
import { provisionSaasSinks } from './demo-saas.ts';

/** Everything of the demo lives under this name: database, slot, topics, groups, keys. */
export const DEMO = 'demo';

/**
 * The demo's pipeline: connectors/health-care.yaml as shipped, moved into the demo's own
 * namespace so that a demo run never touches what `npm start` or a user's pipeline made, and can
 * be wiped and started again: database `demo`, topics `demo.*`, processors and sinks `demo-*`,
 * and each sink's target records where its kind places a namespace (Redis keys `demo:*`, MongoDB
 * database `demo`: the kinds' `namespace`, services/sinks/src/sink-kind.ts). Sinks of SaaS APIs get
 * a fresh workspace of their own in the stack's emulators each run (demo-saas.ts).
 */
export async function demoPipeline(file: string, env: StackEnv = readStackEnv()): Promise<PipelineConfig> {
  const { root } = await readYamlFile(file);
  const rename = (value: unknown): unknown => {
    if (typeof value === 'string') return value.startsWith('cdc.') ? `${DEMO}.${value.slice(4)}` : value;
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => {
          if (k === 'key' && typeof v === 'string') return [k, `${DEMO}:${v}`]; // enrichment lookups in Redis
          return [k, rename(v)];
        }),
      );
    }
    return value;
  };
  const { source, processors, sinks } = root as {
    source: Record<string, unknown>;
    processors: Array<Record<string, unknown>>;
    sinks: Array<Record<string, unknown>>;
  };
  const named = (item: Record<string, unknown>) => ({
    ...(rename(item) as object),
    name: `${DEMO}-${String(item.name)}`,
  });
  // A sink's targets move the way its kind says (a key prefix, a database); topics as above.
  const placed = (sink: Record<string, unknown>) => {
    const kind = ALL_SINK_KINDS.find((k) => k.kind === sink.kind);
    const topics = { ...sink, name: `${DEMO}-${String(sink.name)}`, topics: rename(sink.topics) };
    return kind?.namespace ? kind.namespace.place(topics, DEMO) : topics;
  };
  const pipeline = {
    source: { ...source, name: DEMO, database: { url: postgresDatabaseUrl(env, DEMO) } },
    processors: processors.map(named),
    sinks: await provisionSaasSinks(sinks.map(placed), env),
  };
  const config = parsePipelineConfig(pipeline, process.env, { file });
  await writeDemoPipelineFile(pipeline);
  return config;
}

/**
 * The demo's pipeline as a file, for the commands that read one (`cdc trace`, `cdc dlq list`):
 * JSON, which is YAML. Secrets stay out of it: the SaaS sinks name the variables that hold them.
 */
export const DEMO_PIPELINE_FILE = join(readStackSettings().dir, 'demo-pipeline.yaml');

async function writeDemoPipelineFile(pipeline: object): Promise<void> {
  await mkdir(dirname(DEMO_PIPELINE_FILE), { recursive: true });
  await writeFile(
    DEMO_PIPELINE_FILE,
    `# Written by npm run demo: connectors/health-care.yaml in the demo's namespace.\n${JSON.stringify(pipeline, null, 2)}\n`,
  );
}
