/**
 * Field-by-field comparison of Debezium's records with ours, shared by scripts/debezium-compare.ts
 * (two live runs) and debezium-server-fixture.test.ts (a captured run). Values are compared as
 * plain JSON (`plain`): longs as "<digits>n", bytes as "hex:<hex>", NaN and infinities as
 * "num:<value>", the source's topic prefix as "<prefix>". Each difference is either explained by
 * one rule of EXPLAINED (a documented difference between the two, docs/contracts.md) or a fault.
 */

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** A decoded Avro value (or schema) as Plain, the source's prefix replaced by "<prefix>". */
export function plain(value: unknown, prefix?: string): Plain {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Number.isFinite(value) ? value : `num:${value}`;
  if (typeof value === 'string') return prefix ? value.split(prefix).join('<prefix>') : value;
  if (typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return `hex:${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map((item) => plain(item, prefix));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item, prefix)]));
}

export interface Difference {
  readonly path: string;
  readonly debezium: Plain | undefined;
  readonly ours: Plain | undefined;
  /** Why the two may differ here; undefined for a fault. */
  readonly explained?: string;
}

/** Context of a record pair, for the rules. */
export interface PairContext {
  /** A snapshot row: each source read its own snapshot (its own slot, time and transaction). */
  readonly snapshot: boolean;
}

interface Rule {
  readonly path: RegExp;
  readonly when?: (context: PairContext, debezium: Plain | undefined, ours: Plain | undefined) => boolean;
  readonly why: string;
}

const EXPLAINED: readonly Rule[] = [
  { path: /^value\.ts_(ms|us|ns)$/u, why: 'processing time: when each source handled the event' },
  {
    path: /^value\.source\.(ts_ms|ts_us|ts_ns|txId|lsn|sequence)$/u,
    when: (context) => context.snapshot,
    why: "a snapshot row's time, transaction and LSN are those of each source's own snapshot and slot",
  },
  {
    path: /^value\.transaction(\.|$)/u,
    when: (_context, debezium) => debezium === null || debezium === undefined,
    why: 'Debezium fills the transaction block only with provide.transaction.metadata=true; ours always does for streamed changes',
  },
  {
    path: /^headers\.(cdc\.commit_lsn|cdc\.seq|traceparent|tracestate)$/u,
    when: (_context, debezium) => debezium === undefined,
    why: "ours adds the event's version and its W3C trace context (docs/contracts.md)",
  },
  { path: /^headers\.__debezium\.context\.runId$/u, why: 'a random id per run of each source' },
  {
    path: /^value\.source\.version$/u,
    why: "ours names the pipeline's version, not a Debezium release it is not",
  },
  {
    // all-types.ts's column of type name.
    path: /^(value\.)?(before|after)\.c_name$/u,
    when: (context, debezium) => !context.snapshot && debezium === null,
    why: 'Debezium 3.6.1 streams columns of type name as null (its snapshot reads them); ours sends the value',
  },
];

function explain(path: string, context: PairContext, debezium: Plain | undefined, ours: Plain | undefined) {
  return EXPLAINED.find((rule) => rule.path.test(path) && (rule.when?.(context, debezium, ours) ?? true))
    ?.why;
}

/** Every difference between two Plain values, path by path. */
export function differences(
  path: string,
  debezium: Plain | undefined,
  ours: Plain | undefined,
  context: PairContext,
): Difference[] {
  const explained = explain(path, context, debezium, ours);
  const isObject = (v: Plain | undefined): v is { [key: string]: Plain } =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(debezium) && isObject(ours)) {
    const keys = [...new Set([...Object.keys(debezium), ...Object.keys(ours)])];
    return keys.flatMap((key) =>
      differences(path === '' ? key : `${path}.${key}`, debezium[key], ours[key], context),
    );
  }
  if (Array.isArray(debezium) && Array.isArray(ours) && debezium.length === ours.length) {
    return debezium.flatMap((item, index) => differences(`${path}[${index}]`, item, ours[index], context));
  }
  if (JSON.stringify(debezium) === JSON.stringify(ours)) return [];
  return [{ path, debezium, ours, ...(explained ? { explained } : {}) }];
}

/** One line per difference, for a report. */
export function describeDifference(where: string, difference: Difference): string {
  const show = (value: Plain | undefined) => (value === undefined ? 'absent' : JSON.stringify(value));
  const head = `${where} ${difference.path}: Debezium ${show(difference.debezium)}, ours ${show(difference.ours)}`;
  return difference.explained ? `${head} (explained: ${difference.explained})` : head;
}

/**
 * Every difference between two registered Avro schemas (as Plain), path by path in their JSON:
 * record and field names, types, union order, logical types, connect.* properties, defaults.
 */
export function schemaDifferences(debezium: Plain, ours: Plain): string[] {
  return differences('', debezium, ours, { snapshot: false }).map((difference) =>
    describeDifference('', {
      path: difference.path,
      debezium: difference.debezium,
      ours: difference.ours,
    }).trim(),
  );
}
