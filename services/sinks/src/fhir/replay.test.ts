import { describe, expect, it } from 'vitest';
import { versionText } from '@cdc/core';
import { event } from '../../test/conformance.ts';
import { planBatch, TRUNCATE_REASON } from './batch-plan.ts';
import type { ServerResource } from './fhir-client.ts';
import { compileResourceMapping, type FhirResource } from './mapping/index.ts';
import { replayOnServer } from './replay.ts';
import { SOURCE_HASHES_URL, SOURCE_VERSION_URL, sourceVersionOf } from './source-version.ts';

// How a batch's changes to one resource come to one write, given what the server holds: pure,
// no server. The int tests (fhir-conformance.int.test.ts) show the same against HAPI.

const SYSTEM = 'urn:test:patient';
const mapping = compileResourceMapping(
  {
    type: 'Patient',
    identifier: { system: SYSTEM, value: '{id}' },
    resource: {
      name: [{ text: '{name}' }],
      extension: [
        { url: 'urn:test:notes', valueString: '{notes}' },
        { url: 'urn:test:visits', valueInteger: '{visits}' },
      ],
    },
  },
  {},
  'UTC',
);
const valid = () => undefined;
const plan = (events: Parameters<typeof planBatch>[0]) => planBatch(events, () => mapping, valid);

function onServer(resource: FhirResource, version: { commitLsn: bigint; seq: bigint }): ServerResource {
  return {
    id: 'p1',
    versionId: '3',
    resource: {
      ...resource,
      id: 'p1',
      meta: { versionId: '3' },
      extension: [
        ...((resource.extension as unknown[] | undefined) ?? []),
        { url: SOURCE_VERSION_URL, valueString: versionText(version) },
      ],
    },
  };
}

describe('planBatch', () => {
  it('maps each row once, fails what cannot map or is a truncate, and makes older changes of a key stale', () => {
    const older = event('u', 1, { name: 'old' }); // event() numbers versions in the order of its calls
    const newer = event('u', 1, { name: 'new' });
    const { outcomes, keys } = plan([
      newer,
      older,
      { ...event('c', 2), key: {} },
      { ...event('c', 3), op: 't', key: {} },
    ]);
    expect(outcomes[1]).toEqual({ kind: 'stale' });
    expect(outcomes[2]?.kind).toBe('failed');
    expect((outcomes[2] as { reason: string }).reason).toMatch(/key has no field id/u);
    expect(outcomes[3]).toEqual({ kind: 'failed', reason: TRUNCATE_REASON });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ type: 'Patient', identifier: { system: SYSTEM, value: '1' } });
  });
});

describe('replayOnServer', () => {
  it('writes the last state, with our version, where the server has none (a conditional update)', () => {
    const c = event('c', 1, { name: 'Ada', visits: 1 });
    const u = event('u', 1, { name: 'Ada L.', visits: 2 });
    const [key] = plan([c, u]).keys;
    const result = replayOnServer(key!, [], valid);
    expect(result.applied).toEqual([0, 1]);
    expect(result.write?.place).toEqual({ identifier: { system: SYSTEM, value: '1' } });
    expect(result.write?.resource).toMatchObject({ name: [{ text: 'Ada L.' }] });
    expect(sourceVersionOf(result.write!.resource)).toEqual(u.version);
  });

  it('skips what the server holds already and guards the write with its versionId', () => {
    const c = event('c', 1, { name: 'Ada' });
    const u = event('u', 1, { name: 'Ada L.' });
    const [key] = plan([c, u]).keys;
    const server = onServer({ resourceType: 'Patient', name: [{ text: 'Ada' }] }, c.version);
    const result = replayOnServer(key!, [server], valid);
    expect(result).toMatchObject({
      stale: [0],
      applied: [1],
      write: { place: { id: 'p1', versionId: '3' } },
    });
    expect(replayOnServer(plan([c]).keys[0]!, [server], valid)).toEqual({ stale: [0], applied: [] });
  });

  it('takes unchanged fields from the newest version that had them: the server, or an earlier change of the batch', () => {
    const server = onServer(
      {
        resourceType: 'Patient',
        extension: [
          { url: 'urn:test:notes', valueString: 'held' },
          { url: 'urn:test:visits', valueInteger: 1 },
        ],
      },
      { commitLsn: 1n, seq: 0n },
    );
    const partial = event('u', 1, { name: 'B', visits: 2 }, { unchanged: ['notes'] });
    const fromServer = replayOnServer(plan([partial]).keys[0]!, [server], valid).write?.resource;
    expect(fromServer?.extension).toEqual([
      { url: 'urn:test:visits', valueInteger: 2 },
      { url: 'urn:test:notes', valueString: 'held' },
      expect.objectContaining({ url: SOURCE_VERSION_URL }),
      expect.objectContaining({ url: SOURCE_HASHES_URL }),
    ]);
    const full = event('u', 1, { name: 'A', notes: 'in batch', visits: 1 });
    const later = event('u', 1, { name: 'B', visits: 3 }, { unchanged: ['notes'] });
    const fromBatch = replayOnServer(plan([full, later]).keys[0]!, [server], valid).write?.resource;
    expect(fromBatch?.extension).toContainEqual({ url: 'urn:test:notes', valueString: 'in batch' });
  });

  it('marks a deleted resource as its type says and keeps it as the version marker', () => {
    const d = event('d', 1);
    const server = onServer({ resourceType: 'Patient', name: [{ text: 'Ada' }] }, { commitLsn: 1n, seq: 0n });
    const result = replayOnServer(plan([d]).keys[0]!, [server], valid);
    expect(result.write?.resource).toMatchObject({ active: false, name: [{ text: 'Ada' }] });
    expect(sourceVersionOf(result.write!.resource)).toEqual(d.version);
    // Nothing on the server and nothing before it in the batch: nothing to mark.
    expect(replayOnServer(plan([event('d', 2)]).keys[0]!, [], valid)).toEqual({ stale: [], applied: [0] });
  });

  it('refuses a key the server holds twice, naming both resources', () => {
    const held = onServer({ resourceType: 'Patient' }, { commitLsn: 1n, seq: 0n });
    const result = replayOnServer(
      plan([event('u', 1, { name: 'x' })]).keys[0]!,
      [held, { ...held, id: 'p2' }],
      valid,
    );
    expect(result.refused).toMatch(
      /^2 Patient resources carry identifier urn:test:patient\|1 \(ids p1, p2\)/u,
    );
  });
});
