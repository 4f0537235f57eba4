import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markdownCells as cells } from '../markdown.ts';
import { METRICS } from './catalog.ts';
import { METRICS_FILE, metricReferenceText } from './metric-reference.ts';

const root = new URL('../../../../', import.meta.url);

describe('generated metrics reference', () => {
  it(`${METRICS_FILE} is generated from METRICS (npm run config:generate)`, () => {
    const committed = readFileSync(new URL(METRICS_FILE, root), 'utf8');
    expect(cells(committed)).toEqual(cells(metricReferenceText()));
  });

  it('lists every metric under each stage that exports it', () => {
    const text = metricReferenceText();
    for (const spec of Object.values(METRICS)) {
      const rows = text.split('\n').filter((line) => line.startsWith(`| \`${spec.name}\` |`));
      expect(rows, spec.name).toHaveLength(spec.stages.length);
    }
  });
});
