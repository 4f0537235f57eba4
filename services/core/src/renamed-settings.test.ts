import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyRenamedSettings, printConfigWarning } from './renamed-settings.ts';

const renames = [{ in: ['source', 'snapshot'], from: 'chunkRows', to: 'chunk_rows' }];

describe('applyRenamedSettings', () => {
  it('moves an old key to its new one in a copy, and maps paths back to what was written', () => {
    const input = { source: { snapshot: { chunkRows: 5, mode: 'never' } }, sinks: [] };
    const renamed = applyRenamedSettings(input, renames, { file: 'p.yaml', lineOf: () => 7 });
    expect(renamed.value).toEqual({ source: { snapshot: { chunk_rows: 5, mode: 'never' } }, sinks: [] });
    expect(input.source.snapshot).toEqual({ chunkRows: 5, mode: 'never' });
    expect(renamed.warnings).toEqual([
      'p.yaml:7: source.snapshot.chunkRows is deprecated: write source.snapshot.chunk_rows; the old spelling goes in the next release',
    ]);
    expect(renamed.problems).toEqual([]);
    expect(renamed.writtenAt(['source', 'snapshot', 'chunk_rows'])).toEqual([
      'source',
      'snapshot',
      'chunkRows',
    ]);
    expect(renamed.writtenAt(['source', 'snapshot', 'mode'])).toEqual(['source', 'snapshot', 'mode']);
  });

  it('leaves input without the old key as it is, whatever its shape', () => {
    for (const input of [
      undefined,
      null,
      'text',
      [],
      { source: 3 },
      { source: { snapshot: { chunk_rows: 1 } } },
    ]) {
      const renamed = applyRenamedSettings(input, renames);
      expect(renamed.value).toBe(input);
      expect([...renamed.warnings, ...renamed.problems]).toEqual([]);
    }
  });

  it('refuses both spellings at once and keeps the new one', () => {
    const renamed = applyRenamedSettings(
      { snapshot: { chunkRows: 5, chunk_rows: 6 } },
      [{ in: ['snapshot'], from: 'chunkRows', to: 'chunk_rows' }],
      { prefix: ['source'], lineOf: () => 3 },
    );
    expect(renamed.value).toEqual({ snapshot: { chunk_rows: 6 } });
    expect(renamed.warnings).toEqual([]);
    expect(renamed.problems).toEqual([
      'source.snapshot.chunkRows (line 3): set twice, as chunkRows and as chunk_rows; keep only source.snapshot.chunk_rows (chunkRows is its old spelling)',
    ]);
  });
});

describe('printConfigWarning', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints each warning once per process, on stderr', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warning = `x.yaml:1: a.b is deprecated (${Math.random()})`;
    printConfigWarning(warning);
    printConfigWarning(warning);
    expect(stderr.mock.calls).toEqual([[`warning: ${warning}`]]);
  });
});
