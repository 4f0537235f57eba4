/**
 * The change event of docs/contracts.md as avsc decodes it under `avroOptions` (longs are
 * BigInt): rows are column -> value; extra fields of a later envelope version are kept as they are.
 */
export interface ChangeEnvelope {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  op: string;
  ts_ms: bigint;
  source: Record<string, unknown>;
  unchanged_fields: string[];
  [extra: string]: unknown;
}
