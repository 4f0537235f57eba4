import { describe, expect, it } from 'vitest';
import { deadLetterHeaders, partReason, schemaIdIn } from '../dead-letter.ts';
import { parseDeadLetter } from './dead-letters.ts';

const message = (headers: Record<string, string | Buffer>) => ({
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  timestamp: '0',
  attributes: 0,
  offset: '12',
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('parseDeadLetter', () => {
  it('reads what deadLetterHeaders wrote and keeps the record’s own headers apart', () => {
    const headers = deadLetterHeaders(
      'validate-patients',
      { topic: 'cdc.public.patients', partition: 2, offset: '41' },
      [{ rule: 'format', field: 'email', message: 'bad email' }],
      { traceparent: 'tp' },
    );
    const entry = parseDeadLetter(2, message(headers));
    expect(entry).toMatchObject({
      partition: 2,
      offset: '12',
      key: Buffer.from('k'),
      reasons: [{ rule: 'format', field: 'email', message: 'bad email' }],
      processor: 'validate-patients',
      origin: { topic: 'cdc.public.patients', partition: 2, offset: '41' },
    });
    expect(entry.at?.getTime()).toBe(Number(headers['cdc.dlq.ts']));
    expect(Object.keys(entry.headers)).toEqual(['traceparent']);
  });

  it('tolerates records that were not written by a processor or sink', () => {
    expect(parseDeadLetter(0, message({ 'cdc.dlq.reason': 'not json' }))).toMatchObject({
      reasons: [{ rule: 'unreadable', field: null, message: 'not json' }],
      processor: null,
      origin: null,
      at: null,
    });
    expect(
      parseDeadLetter(0, message({ 'cdc.dlq.origin.topic': 't', 'cdc.dlq.origin.partition': 'x' })).origin,
    ).toBeNull();
  });
});

describe('dead-letter reasons', () => {
  it('name the part and its schema id for bytes that cannot be read, and read back as written', () => {
    const reason = partReason(
      'decode',
      'value',
      schemaIdIn(Buffer.from([0, 0, 0, 0, 42, 1])),
      'schema id 42 is not in the registry',
    );
    expect(reason).toEqual({
      rule: 'decode',
      field: null,
      part: 'value',
      schema_id: 42,
      message: 'value: schema id 42 is not in the registry',
    });
    expect(schemaIdIn(Buffer.from('not avro'))).toBeNull();
    const headers = deadLetterHeaders('sink', { topic: 't', partition: 0, offset: '1' }, [reason], {});
    expect(parseDeadLetter(0, message(headers)).reasons).toEqual([reason]);
    // Reasons written before part and schema_id existed still read as they were.
    const old = deadLetterHeaders(
      'v',
      { topic: 't', partition: 0, offset: '1' },
      [{ rule: 'format', field: 'email', message: 'bad' }],
      {},
    );
    expect(parseDeadLetter(0, message(old)).reasons).toEqual([
      { rule: 'format', field: 'email', message: 'bad' },
    ]);
  });
});
