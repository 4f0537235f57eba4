import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SINK_KINDS } from '../src/index.ts';

const sinks = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every integration test file of the sinks package, wherever its kind keeps it. */
function integrationTests(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : integrationTests(path);
    return entry.name.endsWith('.int.test.ts') ? [path] : [];
  });
}

describe('the sink conformance suite', () => {
  const calls = integrationTests(sinks).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/sinkConformance\(\s*'([^']+)'/gu)].map((match) => ({
      kind: match[1],
      file: relative(sinks, file),
    })),
  );

  it.each(SINK_KINDS.map((kind) => kind.kind))('runs against the %s kind', (kind) => {
    expect(
      calls.filter((call) => call.kind === kind).map((call) => call.file),
      `no *.int.test.ts under services/sinks calls sinkConformance('${kind}', ...) (test/conformance.ts)`,
    ).not.toEqual([]);
  });

  it('names only registered kinds', () => {
    const known = new Set<string>(SINK_KINDS.map((kind) => kind.kind));
    expect(calls.filter((call) => !known.has(call.kind ?? ''))).toEqual([]);
  });
});
