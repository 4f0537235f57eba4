import { CdcError, type AvroField, type AvroRecord, type AvroSchema } from '@cdc/core';

export type { ChangeEnvelope } from '@cdc/core';

function isRecordSchema(schema: AvroSchema): schema is AvroRecord {
  return typeof schema === 'object' && !Array.isArray(schema) && schema.type === 'record';
}

function field(envelope: AvroRecord, name: string): AvroField {
  const found = envelope.fields.find((f) => f.name === name);
  if (!found) {
    throw new CdcError('NOT_A_CHANGE_EVENT', `schema ${envelope.name} has no '${name}' field`, {
      fix: 'processors read change-event topics (docs/contracts.md): before, after, op, source',
    });
  }
  return found;
}

/** The row record of a change event schema: the non-null branch of `before`, where it is defined. */
export function rowSchemaOf(envelope: AvroRecord): AvroRecord {
  const before = field(envelope, 'before').type;
  const row = Array.isArray(before) ? before.find(isRecordSchema) : undefined;
  if (!row) {
    throw new CdcError(
      'NOT_A_CHANGE_EVENT',
      `the 'before' field of ${envelope.name} is not a nullable record`,
      {
        fix: 'processors read change-event topics (docs/contracts.md)',
      },
    );
  }
  return row;
}

/** The change event schema with another row record, named after the output topic. */
export function withRowSchema(envelope: AvroRecord, row: AvroRecord, namespace: string): AvroRecord {
  const renamed: AvroRecord = { ...row, namespace };
  const fullName = `${namespace}.${row.name}`;
  return {
    ...envelope,
    namespace,
    fields: envelope.fields.map((f) => {
      if (f.name === 'before') return { ...f, type: ['null', renamed] };
      if (f.name === 'after') return { ...f, type: ['null', fullName] };
      return f;
    }),
  };
}

/** An Avro namespace for a topic name: Avro names allow only [A-Za-z0-9_] between dots. */
export function namespaceOf(topic: string): string {
  return topic
    .split('.')
    .filter((part) => part.length > 0)
    .map((part) => {
      const clean = part.replace(/[^A-Za-z0-9_]/gu, '_');
      return /^[0-9]/u.test(clean) ? `_${clean}` : clean;
    })
    .join('.');
}
