import { describe, expect, it } from 'vitest';
import { fieldHashes } from '../field-conflicts.ts';
import type { KeyChange } from './batch-plan.ts';
import { conflictAt } from './conflicts.ts';
import { compileResourceMapping, type FhirResource } from './mapping/index.ts';
import { withSourceVersion } from './source-version.ts';

// Conflict detection without a server: what the sink wrote (its field hashes) against what the
// server holds now. fhir-conformance.int.test.ts runs the shared policies against HAPI.

const mapping = compileResourceMapping(
  {
    type: 'Patient',
    identifier: { system: 'urn:test:patient', value: '{id}' },
    resource: {
      name: [{ text: '{name}' }],
      telecom: [
        { system: 'phone', value: '{phone}' },
        { system: 'email', value: '{email}' },
      ],
      extension: [{ url: 'urn:test:visits', valueInteger: '{visits}' }],
    },
  },
  {},
  'UTC',
);

function mapped(row: Record<string, unknown>): FhirResource {
  const result = mapping.map(row, { id: 1n }, []);
  if ('reason' in result) throw new Error(result.reason);
  return result.resource;
}

const version = { commitLsn: 1n, seq: 0n };

/** What the sink wrote for a row, then what a person made of it at the server. */
function written(
  row: Record<string, unknown>,
  edit: (resource: Record<string, unknown>) => void,
): FhirResource {
  const ours = mapped(row);
  const resource = structuredClone(
    withSourceVersion(ours, version, false, fieldHashes(mapping.readFields(ours))),
  ) as Record<string, unknown>;
  edit(resource);
  return { ...(resource as FhirResource), meta: { lastUpdated: '2026-12-04T10:00:00.000+00:00' } };
}

function change(row: Record<string, unknown>, commitTimeMs = Date.now()): KeyChange {
  return {
    index: 0,
    version: { commitLsn: 2n, seq: 0n },
    commitTimeMs,
    row,
    mapped: { resource: mapped(row), keep: [] },
  };
}

const ada = { id: 1n, name: 'Ada', phone: null, email: 'ada@example.org', visits: 1 };

describe('conflictAt', () => {
  it('reads fields back by their place, finding list items by their constants (a null phone shifts the email)', () => {
    expect(mapping.readFields(mapped(ada))).toEqual({
      name: 'Ada',
      phone: null,
      email: 'ada@example.org',
      visits: 1,
    });
  });

  it('sees no conflict when the server holds what the sink wrote', () => {
    const server = written(ada, () => undefined);
    expect(
      conflictAt(mapping, server, change({ ...ada, visits: 2 }), { policy: 'source_wins' }),
    ).toBeUndefined();
  });

  it('names the fields a person changed, with both sides', () => {
    const server = written(ada, (r) => ((r.telecom as { value: string }[])[0]!.value = 'ada@clinic.example'));
    const found = conflictAt(mapping, server, change({ ...ada, visits: 2 }), { policy: 'source_wins' });
    expect(found).toMatchObject({
      write: true,
      conflict: {
        resolution: 'source',
        changedFields: ['email'],
        target: { email: 'ada@clinic.example', visits: 1 },
        source: { email: 'ada@example.org', visits: 2 },
      },
    });
  });

  it('merge keeps a field changed at the server that the source has not changed since', () => {
    const server = written(ada, (r) => ((r.telecom as { value: string }[])[0]!.value = 'ada@clinic.example'));
    const found = conflictAt(mapping, server, change({ ...ada, visits: 2 }), { policy: 'merge' });
    expect(found).toMatchObject({ write: true, keepTheirs: ['email'] });
    const merged = mapping.withFieldFrom(mapped({ ...ada, visits: 2 }), server, 'email');
    expect(mapping.readFields(merged)).toMatchObject({ email: 'ada@clinic.example', visits: 2 });
    // The source changed it too: ours goes.
    const both = conflictAt(mapping, server, change({ ...ada, email: 'new@example.org' }), {
      policy: 'merge',
    });
    expect(both?.keepTheirs).toEqual([]);
  });

  it('newest_wins compares the commit time with the server time of the edit', () => {
    const server = written(ada, (r) => (r.name = [{ text: 'Ada L.' }]));
    const editedAt = Date.parse('2026-12-04T10:00:00Z');
    const older = conflictAt(mapping, server, change(ada, editedAt - 1000), { policy: 'newest_wins' });
    const newer = conflictAt(mapping, server, change(ada, editedAt + 1000), {
      policy: 'newest_wins',
      timestampField: 'meta.lastUpdated',
    });
    expect([older?.conflict.resolution, older?.write]).toEqual(['target', false]);
    expect([newer?.conflict.resolution, newer?.write]).toEqual(['source', true]);
  });
});
