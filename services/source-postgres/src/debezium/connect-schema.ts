/**
 * Kafka Connect's schema model (org.apache.kafka.connect.data.Schema), as plain data. Debezium
 * describes every record in these terms and a converter (Confluent's or Apicurio's AvroConverter)
 * then renders them in Avro; Debezium mode builds the same Connect schemas first, so that both the
 * Avro rendering (avro-data.ts) and the comparison with Debezium's documented schemas work on the
 * model Debezium itself uses.
 */

export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

export interface ConnectField {
  readonly name: string;
  readonly schema: ConnectSchema;
}

export interface ConnectSchema {
  readonly type: ConnectType;
  readonly optional: boolean;
  /** Semantic type or record name: io.debezium.time.MicroTimestamp, <prefix>.<schema>.<table>.Value. */
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  /** A default of the schema itself (Debezium's `snapshot` enum defaults to "false"). */
  readonly defaultValue?: string | number | boolean;
  readonly fields?: readonly ConnectField[];
  /** Element schema of an array. */
  readonly items?: ConnectSchema;
}

type Extra = Omit<ConnectSchema, 'type' | 'optional'>;

/** A required schema of a primitive type, with its annotations. */
export function required(type: ConnectType, extra: Extra = {}): ConnectSchema {
  return { type, optional: false, ...extra };
}

export function optional(schema: ConnectSchema): ConnectSchema {
  return { ...schema, optional: true };
}

export function struct(name: string, fields: readonly ConnectField[], extra: Extra = {}): ConnectSchema {
  return { type: 'struct', optional: false, name, ...extra, fields };
}

export function array(items: ConnectSchema): ConnectSchema {
  return { type: 'array', optional: false, items };
}

export function field(name: string, schema: ConnectSchema): ConnectField {
  return { name, schema };
}
