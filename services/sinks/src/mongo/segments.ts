/** A run of events written together, or one truncate, which must not be reordered with them. */
export type Segment =
  { readonly indexes: number[]; readonly truncate?: undefined } | { readonly truncate: number };

/** Splits a collection's events at its truncates, keeping their order. */
export function truncateSegments(
  indexes: readonly number[],
  isTruncate: (index: number) => boolean,
): Segment[] {
  const segments: Segment[] = [];
  let run: number[] = [];
  for (const index of indexes) {
    if (!isTruncate(index)) {
      run.push(index);
      continue;
    }
    if (run.length > 0) segments.push({ indexes: run });
    run = [];
    segments.push({ truncate: index });
  }
  if (run.length > 0) segments.push({ indexes: run });
  return segments;
}
