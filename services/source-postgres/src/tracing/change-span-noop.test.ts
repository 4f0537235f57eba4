import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../events/change-event.ts';
import { DEFAULT_SAMPLER } from '@cdc/core';
import { startChangeSpans, whenSent } from './change-span.ts';

// Without an SDK the API is a no-op; every message must still carry a valid traceparent
// (docs/contracts.md, Headers), so that the sinks can continue one trace per change.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/u;
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
      return { traceId: match![1]!, spanId: match![2]!, flags: match![3]! };
    });
    expect(ids[1]!.traceId).toBe(ids[0]!.traceId); // the tombstone follows its delete's trace
    expect(ids[1]!.flags).toBe(ids[0]!.flags); // and its sampling decision
    expect(new Set(ids.map((id) => id.spanId)).size).toBe(3);
    expect(ids[2]!.traceId).not.toBe(ids[0]!.traceId);
    await whenSent(
      traced.map(({ span }) => span),
      Promise.resolve(),
    ); // ending no-op spans is harmless
  });

  it('marks changes sampled at the default ratio, as a source with an SDK would', () => {
    const changes = 20_000;
    let sampled = 0;
    for (let i = 0; i < changes; i++) {
      const [first] = startChangeSpans(table, 'shop', [record('c')]);
      if (first!.headers.traceparent!.endsWith('-01')) sampled += 1;
    }
    // Binomial: the standard deviation of the share is about 0.002 at 0.1; allow ten of them.
    expect(Math.abs(sampled / changes - DEFAULT_SAMPLER.ratio)).toBeLessThan(0.02);
  });
});
