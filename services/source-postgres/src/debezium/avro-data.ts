import { CdcError, type AvroField, type AvroRecord, type AvroSchema } from '@cdc/core';
import type { ConnectField, ConnectSchema, ConnectType } from './connect-schema.ts';

/**
 * Connect schemas in Avro, the way the Avro converters Debezium users run render them
 * (io.confluent.connect.avro.AvroData in confluentinc/schema-registry, avro-data module, and its
 * port io.apicurio.registry.utils.converter.avro.AvroData in Apicurio/apicurio-registry,
 * utils/converter; `fromConnectSchema` with connect.meta.data=true, the default):
 * - int8/int16 become "int" with "connect.type" (int8, int16); int32 int, int64 long, float32 float,
 *   float64 double, string, bytes, boolean; array -> array, struct -> record named after the
 *   schema (a struct without a name would be io.confluent.connect.avro.ConnectDefault).
 * - Properties on the type itself, in this order: connect.doc, connect.version,
 *   connect.parameters, connect.default, connect.name, connect.type; then the logical type:
 *   org.apache.kafka.connect.data.Decimal is also "logicalType": "decimal" with "scale" and
 *   "precision" (connect.decimal.precision, else 64).
 * - An optional schema is the union ["null", T], or [T, "null"] when it has a default; a record
 *   field gets "default": null when optional, or the schema's default.
 * - A record type already written is referred to by its full name afterwards (Avro's rule).
 *
 * `toConnect` reads such Avro back into Connect schemas the way AvroData.toConnectSchema does,
 * for the checks that compare our schemas with Debezium's documented ones.
 */

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const DEFAULT_DECIMAL_PRECISION = 64;

const PRIMITIVES: Partial<Record<ConnectType, string>> = {
  int8: 'int',
  int16: 'int',
  int32: 'int',
  int64: 'long',
  float32: 'float',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

type Mutable = Record<string, unknown>;

/** The Avro schema of a Connect schema; `written` holds the record names defined so far. */
export function fromConnect(schema: ConnectSchema, written = new Set<string>()): AvroSchema {
  const base = baseType(schema, written);
  if (!schema.optional) return base;
  return schema.defaultValue === undefined ? ['null', base] : [base, 'null'];
}

/** A required top-level record (key, envelope) as the registry stores it. */
export function fromConnectRecord(schema: ConnectSchema): AvroRecord {
  if (schema.type !== 'struct' || schema.optional) {
    throw new Error(`fromConnectRecord: ${schema.name ?? schema.type} is not a required struct`);
  }
  return fromConnect(schema) as AvroRecord;
}

function splitName(fullName: string): { name: string; namespace?: string } {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? { name: fullName } : { name: fullName.slice(dot + 1), namespace: fullName.slice(0, dot) };
}

function baseType(schema: ConnectSchema, written: Set<string>): AvroSchema {
  let type: Mutable;
  if (schema.type === 'struct') {
    const fullName = schema.name ?? 'io.confluent.connect.avro.ConnectDefault';
    if (written.has(fullName)) return fullName;
    written.add(fullName);
    const { name, namespace } = splitName(fullName);
    type = { type: 'record', name, ...(namespace === undefined ? {} : { namespace }) };
    type.fields = (schema.fields ?? []).map((field) => avroField(field, written));
  } else if (schema.type === 'array') {
    if (!schema.items) throw new Error('fromConnect: array schema without items');
    type = { type: 'array', items: fromConnect(schema.items, written) };
  } else if (schema.type === 'map') {
    throw new Error('fromConnect: map schemas are not used by Debezium mode');
  } else {
    type = { type: PRIMITIVES[schema.type]! };
  }
  if (schema.doc !== undefined) type['connect.doc'] = schema.doc;
  if (schema.version !== undefined) type['connect.version'] = schema.version;
  if (schema.parameters !== undefined && Object.keys(schema.parameters).length > 0) {
    type['connect.parameters'] = { ...schema.parameters };
  }
  if (schema.defaultValue !== undefined) type['connect.default'] = schema.defaultValue;
  if (schema.name !== undefined) type['connect.name'] = schema.name;
  if (schema.type === 'int8' || schema.type === 'int16') type['connect.type'] = schema.type;
  if (schema.name === DECIMAL) {
    const precision = schema.parameters?.['connect.decimal.precision'];
    type.logicalType = 'decimal';
    type.precision = precision === undefined ? DEFAULT_DECIMAL_PRECISION : Number(precision);
    type.scale = Number(schema.parameters?.scale ?? 0);
  }
  // A primitive without annotations is written as its bare name, as Avro's toString does.
  const keys = Object.keys(type);
  return keys.length === 1 && typeof type.type === 'string' && schema.type !== 'struct'
    ? type.type
    : (type as AvroSchema);
}

function avroField({ name, schema }: ConnectField, written: Set<string>): AvroField {
  const type = fromConnect(schema, written);
  if (schema.defaultValue !== undefined) return { name, type, default: schema.defaultValue };
  return schema.optional ? { name, type, default: null } : { name, type };
}

/** Reads Avro (as fromConnect writes it, or as a registry returns it) back into Connect schemas. */
export function toConnect(
  avro: AvroSchema,
  named = new Map<string, ConnectSchema>(),
  namespace = '',
): ConnectSchema {
  if (Array.isArray(avro)) {
    const members = avro.filter((member) => member !== 'null');
    if (members.length !== 1 || members.length === avro.length) {
      throw new CdcError(
        'AVRO_NOT_CONNECT',
        `union ${JSON.stringify(avro)} is not an optional Connect schema`,
      );
    }
    return { ...toConnect(members[0]!, named, namespace), optional: true };
  }
  if (typeof avro === 'string') {
    const primitive = primitiveOf(avro);
    if (primitive) return { type: primitive, optional: false };
    const fullName = avro.includes('.') || namespace === '' ? avro : `${namespace}.${avro}`;
    const known = named.get(fullName) ?? named.get(avro);
    if (!known) throw new CdcError('AVRO_NOT_CONNECT', `reference to unknown type ${avro}`);
    return known;
  }
  const props = avro as Mutable;
  const annotations = annotationsOf(props);
  if (props.type === 'record') {
    const ns = typeof props.namespace === 'string' ? props.namespace : namespace;
    const fullName = ns === '' ? String(props.name) : `${ns}.${String(props.name)}`;
    const fields = (props.fields as AvroField[]).map((f) => ({
      name: f.name,
      schema: toConnect(f.type, named, ns),
    }));
    const schema: ConnectSchema = { type: 'struct', optional: false, ...annotations, name: fullName, fields };
    named.set(fullName, schema);
    return schema;
  }
  if (props.type === 'array') {
    return {
      type: 'array',
      optional: false,
      ...annotations,
      items: toConnect(props.items as AvroSchema, named, namespace),
    };
  }
  if (typeof props.type === 'string') {
    const connectType = props['connect.type'];
    const primitive =
      connectType === 'int8' || connectType === 'int16' ? connectType : primitiveOf(props.type);
    if (!primitive)
      throw new CdcError('AVRO_NOT_CONNECT', `type ${props.type} has no Connect equivalent here`);
    if (props.logicalType === 'decimal') {
      // AvroData.toConnectSchema: Decimal with the scale, and the precision kept as a parameter.
      // connect.parameters, when present, are the Connect schema's own parameters.
      const parameters = annotations.parameters ?? {
        scale: String(typeof props.scale === 'number' ? props.scale : 0),
        'connect.decimal.precision': String(props.precision),
      };
      return { type: 'bytes', optional: false, version: 1, ...annotations, name: DECIMAL, parameters };
    }
    return { type: primitive, optional: false, ...annotations };
  }
  return toConnect(props.type as AvroSchema, named, namespace);
}

function primitiveOf(avro: string): ConnectType | undefined {
  const map: Record<string, ConnectType> = {
    int: 'int32',
    long: 'int64',
    float: 'float32',
    double: 'float64',
    boolean: 'boolean',
    string: 'string',
    bytes: 'bytes',
  };
  return map[avro];
}

function annotationsOf(props: Mutable): Partial<ConnectSchema> {
  const out: { -readonly [K in keyof ConnectSchema]?: ConnectSchema[K] } = {};
  if (typeof props['connect.name'] === 'string') out.name = props['connect.name'];
  if (typeof props['connect.version'] === 'number') out.version = props['connect.version'];
  if (typeof props['connect.doc'] === 'string') out.doc = props['connect.doc'];
  const parameters = props['connect.parameters'];
  if (parameters && typeof parameters === 'object') out.parameters = parameters as Record<string, string>;
  const fallback = props['connect.default'];
  if (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean') {
    out.defaultValue = fallback;
  }
  return out;
}
