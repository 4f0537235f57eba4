import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { findProcessor, findService, loadPipelineConfig, parsePipelineConfig } from './pipeline-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'cdc-pipeline-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const repo = (file: string) => new URL(`../../../${file}`, import.meta.url).pathname;

/** The problems of a configuration that must be refused, one line each. */
function problemsOf(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    parsePipelineConfig(input, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CdcError);
    expect((error as CdcError).fix).toMatch(/docs\/pipeline-config\.md/);
    return (error as CdcError).details.problems as string[];
  }
  throw new Error('the configuration was accepted');
}

const validator = (rules: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'validate-patients',
  kind: 'validate',
  input: 'cdc.public.patients',
  output: 'cdc.public.patients.valid',
  rules,
  ...extra,
});

describe('pipeline configuration', () => {
  it('accepts the shipped pipelines, written in the current spelling', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: string) => warnings.push(warning);
    const demo = await loadPipelineConfig(repo('connectors/health-care.yaml'), {}, { onWarning });
    expect(demo.processors.map((p) => p.name)).toContain('transform-patients');
    expect(findProcessor(demo, 'validate-appointments').delivery).toBe('exactly_once');
    const example = await loadPipelineConfig(repo('connectors/example.yaml'), {}, { onWarning });
    expect(example.processors).toEqual([]);
    expect(example.source?.heartbeat.interval_ms).toBe(10_000);
    expect(warnings).toEqual([]);
  });

  it('reads the old camelCase keys of the source with a warning naming the file and line', async () => {
    const file = join(dir, 'old-spelling.yaml');
    writeFileSync(file, 'source:\n  snapshot:\n    chunkRows: 500\n  heartbeat:\n    intervalMs: 0\n');
    const warnings: string[] = [];
    const config = await loadPipelineConfig(file, {}, { onWarning: (warning) => warnings.push(warning) });
    expect(config.source?.snapshot.chunk_rows).toBe(500);
    expect(config.source?.heartbeat.interval_ms).toBe(0);
    expect(warnings).toEqual([
      `${file}:3: source.snapshot.chunkRows is deprecated: write source.snapshot.chunk_rows; the old spelling goes in the next release`,
      `${file}:5: source.heartbeat.intervalMs is deprecated: write source.heartbeat.interval_ms; the old spelling goes in the next release`,
    ]);
    writeFileSync(file, 'source:\n  heartbeat:\n    intervalMs: 50\n    interval_ms: 0\n');
    await expect(loadPipelineConfig(file, {}, { onWarning: () => {} })).rejects.toThrow(
      `invalid pipeline configuration in ${file}:\n  source.heartbeat.intervalMs (line 3): set twice, as ` +
        'intervalMs and as interval_ms; keep only source.heartbeat.interval_ms (intervalMs is its old spelling)',
    );
    writeFileSync(file, 'source:\n  snapshot:\n    chunkRows: 0\n');
    await expect(loadPipelineConfig(file, {}, { onWarning: () => {} })).rejects.toThrow(
      `invalid pipeline configuration in ${file}:\n  source.snapshot.chunkRows (line 3): must be at least 1`,
    );
  });

  it('takes addresses from the stack variables and says so when they are wrong', () => {
    const config = parsePipelineConfig(
      {},
      { KAFKA_BROKERS: 'k1:9092,k2:9092', REDIS_URL: 'redis://cache:6379' },
    );
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(problemsOf({}, { KAFKA_BROKERS: 'nope' })).toEqual([
      'kafka.brokers[0]: must be host:port such as 127.0.0.1:59092 (taken from the environment variable KAFKA_BROKERS)',
    ]);
  });

  it('lists every problem of a broken processor list with its path and what is allowed', () => {
    const problems = problemsOf({
      processors: [
        validator([{ field: 'email', format: 'emial' }, { check: 'ends_at >' }, { field: 'age' }]),
        { ...validator([{ field: 'mrn', required: true }]), output: 'cdc.public.patients' },
        { name: 'Bad Name', kind: 'enrich', input: 'a', output: 'b' },
        { ...validator([{ field: 'x', required: true }]), delivery: 'twice', colour: 'red' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^processors\[0\]\.rules\[0\]\.format: .*email.*uuid/),
        expect.stringMatching(
          /^processors\[0\]\.rules\[1\]\.check: invalid expression "ends_at >" at column/,
        ),
        expect.stringMatching(/^processors\[0\]\.rules\[2\]: .*at least one/),
        'processors[1].output: must differ from input (a processor would read its own output forever)',
        'processors[2].kind: kind must be validate or transform',
        expect.stringMatching(/^processors\[3\]\.delivery: must be exactly_once or at_least_once/),
        expect.stringMatching(
          /^processors\[3\]\.colour: unknown setting; known here: name, input, output, delivery, kind, rules, steps/,
        ),
        "processors[3].name: 'validate-patients' is also the name of processors[0]; names must be unique (they are consumer groups)",
      ]),
    );
  });

  it('explains broken transform steps', () => {
    const problems = problemsOf({
      processors: [
        {
          name: 'shape',
          kind: 'transform',
          input: 'in',
          output: 'out',
          steps: [
            { mask: { field: 'ssn', method: 'hash' } },
            { normalise: { field: 'starts_at', timezone: 'Mars/Olympus' } },
            { rename: { a: 'b' }, drop: ['c'] },
            { explode: ['x'] },
          ],
        },
      ],
    });
    expect(problems.join('\n')).toMatch(/^processors\[0\]\.steps\[0\]\.mask.*salt_env/m);
    expect(problems.join('\n')).toMatch(
      /^processors\[0\]\.steps\[1\]\.normalise\.timezone: is not a known IANA time zone; use a name such as Europe\/Paris/m,
    );
    expect(problems).toContain(
      'processors[0].steps[2]: a step has exactly one kind, this one has drop and rename; write each as its own list item',
    );
    expect(problems).toContain(
      'processors[0].steps[3]: a step needs one key naming its kind: select, drop, rename, coerce, normalise, mask, compute, enrich',
    );
  });

  it('names the file and the line of each problem', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'processors:',
        '  - name: v',
        '    kind: validate',
        '    input: cdc.public.patients',
        '    output: cdc.public.patients.valid',
        '    rules:',
        '      - field: email',
        '        format: emial',
      ].join('\n'),
    );
    await expect(loadPipelineConfig(file, {})).rejects.toThrow(
      new RegExp(
        `invalid pipeline configuration in ${file}:\\n  processors\\[0\\]\\.rules\\[0\\]\\.format \\(line 8\\): `,
      ),
    );
    writeFileSync(file, 'processors: [\n');
    await expect(loadPipelineConfig(file, {})).rejects.toThrow(/broken\.yaml:2:1: invalid YAML/);
    await expect(loadPipelineConfig(join(dir, 'missing.yaml'), {})).rejects.toThrow(
      /missing\.yaml not found/,
    );
  });

  it('finds a service for cdc run by name: the source, a processor or a sink', async () => {
    const demo = await loadPipelineConfig(repo('connectors/health-care.yaml'), {});
    expect(findService(demo, 'source')).toEqual({ kind: 'source' });
    expect(findService(demo, 'validate-patients')).toMatchObject({
      kind: 'processor',
      config: { name: 'validate-patients' },
    });
    const sink = demo.sinks[0]!;
    expect(findService(demo, sink.name)).toMatchObject({ kind: 'sink', config: { name: sink.name } });
    expect(() => findService(demo, 'validate-patient')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_SERVICE',
        fix: expect.stringMatching(/^use one of: source, validate-patients, .*redis/) as unknown,
      }),
    );
    const shared = parsePipelineConfig(
      {
        processors: [{ ...demo.processors[0], name: 'patients' }],
        sinks: [{ ...sink, name: 'patients' }],
      },
      {},
    );
    expect(() => findService(shared, 'patients')).toThrow(
      expect.objectContaining({
        code: 'AMBIGUOUS_SERVICE',
        fix: 'run one of them by kind: cdc processor run patients, or cdc sink run patients',
      }),
    );
  });

  it("refuses processors and sinks on the topics of a source in Debezium's envelope, saying what to do", () => {
    const redisSink = (topics: string[]) => ({
      name: 'patients-redis',
      kind: 'redis',
      topics,
      key: 'p:{id}',
    });
    const pipeline = (source: Record<string, unknown>) => ({
      source: { envelope: 'debezium', ...source },
      processors: [
        validator([{ field: 'mrn', required: true }]),
        {
          ...validator([{ field: 'mrn', required: true }]),
          name: 'again',
          input: 'cdc.public.patients.valid',
          output: 'x.y',
        },
      ],
      sinks: [redisSink(['other.public.visits', 'cdc.public.patients'])],
    });
    const refused = [
      expect.stringMatching(
        /^processors\[0\]\.input: cdc\.public\.patients is a topic of this file's source, which writes Debezium's envelope \(source\.envelope: debezium\); our processors and sinks read only the cdc envelope\. Run a second source with envelope: cdc .*or consume this topic with Debezium tooling$/,
      ),
      expect.stringMatching(
        /^sinks\[0\]\.topics\[1\]: cdc\.public\.patients is a topic of this file's source/,
      ),
    ];
    // tables: all: any <name>.<schema>.<table> no processor writes (not the validator's output).
    expect(problemsOf(pipeline({}))).toEqual(refused);
    // Listed tables: exactly their topics.
    expect(problemsOf(pipeline({ tables: ['public.patients'] }))).toEqual(refused);
    // The topics of another source, and our own envelope, are fine.
    expect(() => parsePipelineConfig(pipeline({ tables: ['public.visits'] }), {})).not.toThrow();
    expect(() => parsePipelineConfig({ ...pipeline({}), source: { envelope: 'cdc' } }, {})).not.toThrow();
  });

  it('refuses an unknown processor name with the names there are', () => {
    const config = parsePipelineConfig({ processors: [validator([{ field: 'a', required: true }])] }, {});
    expect(() => findProcessor(config, 'validate-patient')).toThrow(
      expect.objectContaining({ fix: 'use one of: validate-patients' }),
    );
  });
});
