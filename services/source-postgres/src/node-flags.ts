/**
 * V8 flags the source process runs with (`cdc source run` relaunches itself with them, and the
 * benchmark starts its source the same way).
 *
 * Why: V8 sizes the young generation by the machine's memory; on a 24 GB host it grew to 128 MB
 * (two 64 MB semi-spaces), nearly all of it garbage of the per-record path, and the source peaked
 * at 320-360 MB RSS during a 1M-row transaction. With 8 MB semi-spaces it peaked at about 250 MB
 * with no throughput loss we could measure (scavenges get more frequent but each is cheap,
 * since almost nothing survives). The old generation is left to V8's own limit: capping it
 * (--max-old-space-size=128) saved more memory but cost about 12% throughput, and one wide row
 * (a 1 GB bytea is legal) would then crash the process instead of slowing it.
 */
export const SOURCE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** The flags of SOURCE_NODE_FLAGS not already set (by name) in Node's arguments or NODE_OPTIONS. */
export function missingSourceNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/u)].map(flagName);
  return SOURCE_NODE_FLAGS.filter((flag) => !given.includes(flagName(flag)));
}

// V8 accepts --a-b and --a_b alike.
function flagName(flag: string): string {
  return flag.split('=')[0]!.replaceAll('_', '-');
}
