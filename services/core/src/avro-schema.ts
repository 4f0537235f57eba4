/**
 * Avro schemas as plain JSON, the form the schema registry stores. Shared by the source (which
 * writes them), processors (which derive new ones) and sinks (which read them).
 */

export type AvroSchema =
  string | AvroSchema[] | { readonly type: AvroSchema; readonly [attribute: string]: unknown };

// Type aliases, not interfaces: only they fit AvroSchema's index signature.
export type AvroField = {
  readonly name: string;
  readonly type: AvroSchema;
  readonly default?: unknown;
  readonly doc?: string;
  /** The PostgreSQL column a field came from, when its name had to be changed for Avro. */
  readonly 'pg.column'?: string;
};

export type AvroRecord = {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
};
