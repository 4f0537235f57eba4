import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markdownCells as cells } from '@cdc/core';
import { JSON_SCHEMA_FILE, REFERENCE_FILE, pipelineJsonSchema, referenceText } from './config-reference.ts';

const root = new URL('../../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe('generated config reference', () => {
  it(`${JSON_SCHEMA_FILE} is the JSON Schema of the current zod schema (npm run config:generate)`, () => {
    expect(JSON.parse(read(JSON_SCHEMA_FILE))).toEqual(pipelineJsonSchema());
  });

  it(`${REFERENCE_FILE} is generated from the current zod schema (npm run config:generate)`, () => {
    expect(cells(read(REFERENCE_FILE))).toEqual(cells(referenceText()));
  });

  it('describes every setting', () => {
    const undocumented = referenceText()
      .split('\n')
      .filter((line) => line.startsWith('| `') && !line.includes('[]'))
      .filter((line) => line.split('|')[4]?.trim() === '');
    expect(undocumented).toEqual([]);
  });
});
