import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { CdcError, type SinkEvent } from '@cdc/core';
import { redactSinkConfig, sinkSchema } from '../service.ts';
import { batchId, cloudEvent, eventId } from './cloud-event.ts';
import { signedHeaders, signingKey } from './signature.ts';

const event: SinkEvent = {
  topic: 'cdc.public.patients',
  partition: 0,
  offset: '7',
  op: 'u',
  key: { id: 42n },
  before: null,
  after: {
    id: 42n,
    balance: '-12.50',
    photo: Buffer.from([1, 2, 3]),
    seen_at: 1_700_000_000_000_000n,
    notes: null,
  },
  unchanged: ['notes'],
  version: { commitLsn: 0x1a2b3cn, seq: 3n },
  commitTimeMs: Date.UTC(2026, 11, 2, 10, 0, 0),
  table: { schema: 'public', name: 'patients' },
  headers: {},
};

describe('webhook events', () => {
  it('are CloudEvents whose data carries longs, decimals and bytes as strings', () => {
    const body = JSON.parse(JSON.stringify(cloudEvent(event))) as ReturnType<typeof cloudEvent>;
    expect(body).toMatchObject({
      specversion: '1.0',
      id: eventId(event),
      type: 'cdc.row.updated',
      source: '/topics/cdc.public.patients',
      subject: 'public.patients/{"id":"42"}',
      time: '2026-12-02T10:00:00.000Z',
      datacontenttype: 'application/json',
    });
    expect(body.data).toEqual({
      op: 'u',
      key: { id: '42' },
      before: null,
      after: { id: '42', balance: '-12.50', photo: 'AQID', seen_at: '1700000000000000', notes: null },
      unchanged_fields: ['notes'],
      source: { schema: 'public', table: 'patients', topic: 'cdc.public.patients' },
      version: { commit_lsn: String(0x1a2b3c), seq: '3' },
      ts_ms: event.commitTimeMs,
    });
  });

  it('keep their id for the same change, and a batch keeps its id for the same changes', () => {
    const moved: SinkEvent = { ...event, offset: '99', partition: 2 };
    expect(eventId(moved)).toBe(eventId(event));
    expect(eventId({ ...event, version: { commitLsn: 0x1a2b3cn, seq: 4n } })).not.toBe(eventId(event));
    expect(batchId(['a', 'b'])).toBe(batchId(['a', 'b']));
    expect(batchId(['a', 'b'])).not.toBe(batchId(['b', 'a']));
  });

  it('are signed so that the standardwebhooks library verifies them', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = JSON.stringify(cloudEvent(event));
    const headers = signedHeaders(signingKey(secret, 'sinks[0].secret'), eventId(event), body, Date.now());
    expect(new Webhook(secret).verify(body, { ...headers })).toMatchObject({ id: eventId(event) });
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
  });

  it('refuse a secret that is not base64, naming the setting', () => {
    expect(() => signingKey('not a secret!', 'sinks[2].secret')).toThrow(CdcError);
    expect(() => signingKey('whsec_c2hvcnQ=', 'sinks[2].secret')).toThrow(
      /sinks\[2\]\.secret: .* at least 16 bytes/,
    );
  });
});

describe('a webhook sink entry', () => {
  const entry = {
    kind: 'webhook',
    name: 'billing',
    topics: ['cdc.public.patients'],
    url: 'https://billing.example.org/hooks/cdc',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  };

  it('needs a url and a secret, and takes no conflict or delete settings (a receiver cannot be read)', () => {
    expect(sinkSchema.safeParse(entry).success).toBe(true);
    expect(sinkSchema.safeParse({ ...entry, secret: undefined }).success).toBe(false);
    expect(sinkSchema.safeParse({ ...entry, url: 'ftp://x' }).success).toBe(false);
    expect(sinkSchema.safeParse({ ...entry, conflict: { policy: 'merge' } }).success).toBe(false);
    expect(sinkSchema.safeParse({ ...entry, delete_retention_ms: 5000 }).success).toBe(false);
  });

  it('is printed with its secret hidden, and the places it is read from shown', () => {
    expect(redactSinkConfig(sinkSchema.parse(entry))).toMatchObject({ secret: '***' });
    expect(redactSinkConfig(sinkSchema.parse({ ...entry, secret: { env: 'BILLING_SECRET' } }))).toMatchObject(
      {
        secret: { env: 'BILLING_SECRET' },
      },
    );
  });
});
