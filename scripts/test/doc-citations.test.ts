import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A comment or message that cites a document sends the reader there, so the document must be one
// they have: a file of this repository, not a design note kept elsewhere.

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCANNED = ['services/*/src', 'services/*/test', 'scripts', 'bench'];
const CODE = /\.(?:ts|mts|cts|js|mjs|cjs|sh)$/u;
// A path ending in .md, not inside a longer path or a URL (those are checked by their readers).
const CITATION = /(?<![\w./:-])((?:\.{1,2}\/)*(?:[\w.-]+\/)*[\w.-]*[\w-]\.md)(?![\w/-])/gu;

/** The `*.md` names that `text` cites, with their line numbers. */
function citationsIn(text: string): Array<{ line: number; name: string }> {
  return text
    .split('\n')
    .flatMap((content, index) =>
      [...content.matchAll(CITATION)].map((match) => ({ line: index + 1, name: match[1]! })),
    );
}

/**
 * Where a citation may point: from the repository root or from the citing file's folder. Not from
 * docs/: a bare `contracts.md` in code reads as a design note of that name, not as docs/contracts.md.
 */
function resolvesInRepository(name: string, file: string): boolean {
  return [root, dirname(file)].some((base) => {
    const target = resolve(base, name);
    const inside = relative(root, target);
    return (
      !inside.startsWith('..') &&
      !inside.split(sep).includes('node_modules') &&
      existsSync(target) &&
      statSync(target).isFile()
    );
  });
}

function codeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return codeFiles(path);
    return CODE.test(entry.name) ? [path] : [];
  });
}

function scannedDirs(): string[] {
  return SCANNED.flatMap((pattern) => {
    const [first, star, ...rest] = pattern.split('/');
    if (star !== '*') return [join(root, pattern)];
    return readdirSync(join(root, first!), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, first!, entry.name, ...rest));
  });
}

describe('citations of documents in code', () => {
  it('finds names, paths and relative paths, and leaves URLs alone', () => {
    const text = [
      '// the mapping (docs/contracts.md, Headers); see BENCHMARKS.md.',
      "const file = join(root, 'README.md'); // ../schemas/README.md",
      '// https://github.com/kibae/pg-logical-replication/blob/main/README.md and x.mdx',
    ].join('\n');
    expect(citationsIn(text)).toEqual([
      { line: 1, name: 'docs/contracts.md' },
      { line: 1, name: 'BENCHMARKS.md' },
      { line: 2, name: 'README.md' },
      { line: 2, name: '../schemas/README.md' },
    ]);
  });

  it('cites only files of this repository', () => {
    // This file's own examples are not citations.
    const files = scannedDirs()
      .flatMap(codeFiles)
      .filter((file) => file !== fileURLToPath(import.meta.url));
    expect(files.length).toBeGreaterThan(100);
    const missing = files.flatMap((file) =>
      citationsIn(readFileSync(file, 'utf8'))
        .filter(({ name }) => !resolvesInRepository(name, file))
        .map(({ line, name }) => `${relative(root, file)}:${line}: ${name}`),
    );
    // Each line: a citation of a document the repository does not have. Cite the repository's own
    // (docs/contracts.md, docs/pipeline-config.md, ...), or state the fact in the comment itself.
    expect(missing).toEqual([]);
  });
});
