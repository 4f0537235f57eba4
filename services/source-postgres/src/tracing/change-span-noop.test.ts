import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../events/change-event.ts';
import { startChangeSpans, whenSent } from './change-span.ts';

// Without an SDK the API is a no-op; every message must still carry a valid traceparent
// (docs/contracts.md, Headers), so that the sinks can continue one trace per change.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/u;
const table = { topic: 'app.public.items', shape: { schema: 'public', table: 'items' } };
const record = (op: 'c' | 'd' | null): ChangeRecord => ({
  key: { id: 1 },
  value: op === null ? null : ({ op } as NonNullable<ChangeRecord['value']>),
  version: { commitLsn: 10n, seq: 0n },
});

describe('change spans without an SDK', () => {
  it('still sets a valid, random traceparent', async () => {
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false); // no SDK here
    const traced = [
      ...startChangeSpans(table, 'shop', [record('d'), record(null)]),
      ...startChangeSpans(table, 'shop', [record('c')]),
    ];
    const ids = traced.map(({ headers }) => {
      expect(Object.keys(headers)).toEqual(['traceparent']);
      const match = TRACEPARENT.exec(headers.traceparent!);
      expect(match, headers.traceparent).not.toBeNull();
      expect(match![1]).not.toMatch(/^0+$/u);
      expect(match![2]).not.toMatch(/^0+$/u);
      return { traceId: match![1]!, spanId: match![2]! };
    });
    expect(ids[1]!.traceId).toBe(ids[0]!.traceId); // the tombstone follows its delete's trace
    expect(new Set(ids.map((id) => id.spanId)).size).toBe(3);
    expect(ids[2]!.traceId).not.toBe(ids[0]!.traceId);
    await whenSent(
      traced.map(({ span }) => span),
      Promise.resolve(),
    ); // ending no-op spans is harmless
  });
});
