import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CdcError,
  verifyRows,
  type SinkEvent,
  type SinkRow,
  type VerifiableSink,
  type WriteOutcome,
} from '@cdc/core';
import { Stack, killServer } from '@cdc/stack';
import { isolate, providerName } from '@cdc/testkit';
import { event } from '../../test/conformance.ts';
import { patientSink, writeUntilDone } from './fhir-test-target.ts';
import { fhirNamespace } from './namespace.ts';

// What the FHIR sink promises beyond the shared suite, against the stack's HAPI FHIR server:
// a transaction Bundle refused for one entry writes every other, and the server going away
// for 30 s loses nothing.

const iso = isolate('fhir-sink');
const stack = new Stack();

describe('FHIR sink', () => {
  it('dead-letters the entry a transaction Bundle was refused for, with the server OperationOutcome, and writes the rest', async () => {
    // A reference to a Patient the server does not have is valid R4, and HAPI refuses it.
    const refusing = patientSink(
      iso.env.FHIR_URL,
      { write: 'transaction' },
      { name: [{ text: '{name}' }], generalPractitioner: [{ reference: '{notes}' }] },
    );
    await refusing.sink.start();
    try {
      const events = Array.from({ length: 9 }, (_, i) =>
        event('c', i + 1, { name: `p${i + 1}`, notes: i === 4 ? 'Practitioner/does-not-exist' : null }),
      );
      const outcomes = await refusing.sink.write(events);
      expect(outcomes.map((o) => o.kind)).toEqual([
        'written',
        'written',
        'written',
        'written',
        'failed',
        'written',
        'written',
        'written',
        'written',
      ]);
      const reason = (outcomes[4] as Extract<WriteOutcome, { kind: 'failed' }>).reason;
      expect(reason).toMatch(
        /^the FHIR server refused Patient urn:cdc:test:[^|]+\|5 in a transaction: OperationOutcome: error: /u,
      );
      expect(reason).toMatch(/HAPI-\d+/u); // the server's own diagnostics, not ours
      expect(reason).toContain('Practitioner/does-not-exist');
      for (const id of [1n, 2n, 3n, 4n, 6n, 7n, 8n, 9n])
        expect((await refusing.read(id))?.name).toBe(`p${id}`);
      expect(await refusing.exists(5n)).toBe(false);
    } finally {
      await refusing.sink.close();
    }
  });
});

describe('FHIR sink namespace', () => {
  it('marks what it writes with the namespace as meta.source, and cleaning removes exactly that', async () => {
    const namespace = `${iso.id}_ns`;
    const placed = fhirNamespace.place({}, namespace) as { source: string };
    const inside = patientSink(iso.env.FHIR_URL, { source: placed.source });
    const outside = patientSink(iso.env.FHIR_URL);
    await Promise.all([inside.sink.start(), outside.sink.start()]);
    try {
      await inside.sink.write([event('c', 1, { name: 'in' }), event('c', 2, { name: 'in' })]);
      await outside.sink.write([event('c', 1, { name: 'out' })]);
      const [held] = await inside.held(1n);
      expect((held?.meta as { source?: string } | undefined)?.source).toMatch(/^urn:cdc:namespace:/u);
      await fhirNamespace.clean(iso.env.FHIR_URL, namespace);
      expect(await inside.exists(1n)).toBe(false);
      expect(await inside.exists(2n)).toBe(false);
      expect((await outside.read(1n))?.name).toBe('out');
    } finally {
      await Promise.all([inside.sink.close(), outside.sink.close()]);
    }
  });
});

describe('FHIR sink verify', () => {
  it('compares the live resources of a system with the rows as the mapping makes them (deleted ones left out)', async () => {
    const target = patientSink(iso.env.FHIR_URL);
    await target.sink.start();
    try {
      const rows = Array.from({ length: 60 }, (_, i) =>
        event('c', i + 1, { name: `p${i + 1}`, email: `p${i + 1}@example.org`, visits: i }),
      );
      // A partial update: the server's notes stay and verify must still agree.
      const partial = event(
        'u',
        7,
        { name: 'p7', email: 'p7@example.org', visits: 6 },
        { unchanged: ['notes'] },
      );
      await target.sink.write([...rows, event('d', 3), partial]);
      const table = { schema: 'public', name: 'patients' };
      const live = rows.filter((e) => e.key.id !== 3n);
      async function* source(extra: SinkEvent[] = []) {
        for (const e of [...live, ...extra]) yield { key: e.key, row: e.after as SinkRow };
      }
      expect(await verifyRows(source(), target.sink as unknown as VerifiableSink, table)).toMatchObject({
        sourceRows: 59,
        sinkRows: 59, // 61 resources held (3 marked deleted), and more than one page of 50
        differences: 0,
      });
      const report = await verifyRows(source([event('c', 99, { name: 'missing' })]), target.sink, table);
      expect(report.missing).toEqual(['id=99']);
    } finally {
      await target.sink.close();
    }
  });
});

describe.runIf(providerName(process.env.CDC_TEST_PROVIDER) === 'local')(
  'FHIR sink while the server is away',
  () => {
    afterAll(async () => {
      await stack.up({ renderer: 'silent' }); // whatever happened, the server is back for the next file
    }, 300_000);

    it('waits out a server stopped for 30 s, then writes every change once', async () => {
      const target = patientSink(iso.env.FHIR_URL);
      await target.sink.start();
      try {
        const first = Array.from({ length: 20 }, (_, i) =>
          event('c', i + 1, { name: `a${i + 1}`, visits: 1 }),
        );
        expect((await target.sink.write(first)).every((o) => o.kind === 'written')).toBe(true);

        await killServer(stack, 'fhir');
        const failures: CdcError[] = [];
        const second = Array.from({ length: 20 }, (_, i) =>
          event('u', i + 1, { name: `b${i + 1}`, visits: 2 }),
        );
        const writing = writeUntilDone(target.sink, second, { failures });
        await sleep(30_000);
        expect(failures.length).toBeGreaterThan(0);
        expect(failures[0]).toMatchObject({ code: 'HTTP_TARGET_UNAVAILABLE', retriable: true });
        expect(failures[0]!.message).toMatch(/FHIR server fhir-test/u);
        await stack.up({ renderer: 'silent' });
        const outcomes = await writing;
        expect(outcomes.every((o) => o.kind === 'written')).toBe(true);

        for (let id = 1n; id <= 20n; id++) {
          expect(await target.read(id)).toMatchObject({ name: `b${id}`, visits: 2 });
          expect(await target.held(id)).toHaveLength(1); // written once, never doubled
        }
        // Replayed after the outage: the server holds these versions already.
        expect((await target.sink.write([...first, ...second])).every((o) => o.kind === 'stale')).toBe(true);
      } finally {
        await target.sink.close();
      }
    }, 240_000);
  },
);
