/**
 * A Markdown text with its tables reduced to their cells, so that two renderings compare equal
 * whatever column padding prettier gave them: how the tests of generated references
 * (docs/pipeline-config.md, docs/error-codes.md) tell a stale file from a reformatted one.
 */
export function markdownCells(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split(/(?<!\\)\|/u)
            .map((cell) => cell.trim())
            .join('|')
        : line,
    )
    .filter((line) => !/^\|[-| ]+\|$/u.test(line.replaceAll(/-+/gu, '-')));
}
