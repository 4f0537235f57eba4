import { twosComplementBytes, unscaledDecimal } from '@cdc/core';
import type { ConnectSchema } from './connect-schema.ts';
import { DEBEZIUM_NAMES } from './postgres-types.ts';

/**
 * A Connect value as org.apache.kafka.connect.json.JsonConverter writes it with
 * schemas.enable=true (its default): {"schema": ..., "payload": ...}. Debezium Server writes the
 * headers of its records this way (debezium.format.header defaults to json, which
 * debezium-embedded/.../ConverterBuilder.java `createHeaderConverter` makes a JsonConverter), and
 * so the `__debezium.oldkey` / `__debezium.newkey` headers of a primary-key change
 * (debezium-connector-common/.../relational/RelationalChangeRecordEmitter.java) hold the key's
 * schema and value in this form. Facts from JsonConverter (apache/kafka, connect/json):
 * `asJsonSchema` writes type, fields or items, optional, then name, version, doc, parameters;
 * `convertToJson` writes int64 as a JSON number, bytes and Decimal (decimal.format=BASE64) as
 * base64, structs as objects.
 *
 * The text is built by hand so that longs beyond 2^53 stay exact.
 */

export function jsonSchemaText(schema: ConnectSchema, fieldName?: string): string {
  const parts: string[] = [`"type":${JSON.stringify(schema.type)}`];
  if (schema.type === 'struct') {
    const fields = (schema.fields ?? []).map((f) => jsonSchemaText(f.schema, f.name));
    parts.push(`"fields":[${fields.join(',')}]`);
  }
  if (schema.type === 'array' && schema.items) parts.push(`"items":${jsonSchemaText(schema.items)}`);
  parts.push(`"optional":${schema.optional}`);
  if (schema.name !== undefined) parts.push(`"name":${JSON.stringify(schema.name)}`);
  if (schema.version !== undefined) parts.push(`"version":${schema.version}`);
  if (schema.doc !== undefined) parts.push(`"doc":${JSON.stringify(schema.doc)}`);
  if (schema.parameters !== undefined) parts.push(`"parameters":${JSON.stringify(schema.parameters)}`);
  if (schema.defaultValue !== undefined) parts.push(`"default":${JSON.stringify(schema.defaultValue)}`);
  if (fieldName !== undefined) parts.push(`"field":${JSON.stringify(fieldName)}`);
  return `{${parts.join(',')}}`;
}

/** A value in Debezium's form (debeziumValue) as JsonConverter's payload. */
export function jsonValueText(schema: ConnectSchema, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (schema.name === DEBEZIUM_NAMES.decimal && typeof value === 'string') {
    // Decimal's payload is its unscaled two's complement in base64 (decimal.format=BASE64).
    const scale = Number(schema.parameters?.scale ?? 0);
    return JSON.stringify(twosComplementBytes(unscaledDecimal(value, scale)).toString('base64'));
  }
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (schema.type === 'struct' && typeof value === 'object') {
    const row = value as Record<string, unknown>;
    const fields = (schema.fields ?? []).map(
      (f) => `${JSON.stringify(f.name)}:${jsonValueText(f.schema, row[f.name] ?? null)}`,
    );
    return `{${fields.join(',')}}`;
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    const items = schema.items;
    return `[${value.map((item) => jsonValueText(items, item)).join(',')}]`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value);
}

/** The header value: {"schema": ..., "payload": ...}. */
export function jsonEnvelopeText(schema: ConnectSchema, value: unknown): string {
  return `{"schema":${jsonSchemaText(schema)},"payload":${jsonValueText(schema, value)}}`;
}
