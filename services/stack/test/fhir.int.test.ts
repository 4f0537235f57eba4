import { describe, expect, it } from 'vitest';
import { isolate } from '@cdc/testkit';

const iso = isolate('fhir');
const base = iso.env.FHIR_URL;
// This file's own identifier system: its patients are found by it and by nothing else.
const system = `urn:cdc-test:${iso.id}`;
const FHIR_JSON = 'application/fhir+json';

interface Resource {
  readonly resourceType: string;
  readonly id?: string;
  readonly meta?: { readonly versionId?: string };
  readonly issue?: readonly { readonly diagnostics?: string }[];
}

async function fhir(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/${path}`, {
    method,
    headers: { accept: FHIR_JSON, ...(body === undefined ? {} : { 'content-type': FHIR_JSON }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, resource: (await response.json()) as Resource };
}

const patient = (value: string, family: string) => ({
  resourceType: 'Patient',
  identifier: [{ system, value }],
  name: [{ family }],
});

// What the health ministry sink will rely on, checked against the stack's real HAPI server.
describe('FHIR server', () => {
  it('is an R4 server that offers the resource types the sink writes', async () => {
    const { status, resource } = await fhir('GET', 'metadata');
    expect(status).toBe(200);
    const capability = resource as Resource & {
      fhirVersion: string;
      rest: { resource: { type: string }[] }[];
    };
    expect(capability.fhirVersion).toBe('4.0.1');
    const types = capability.rest[0]!.resource.map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['Patient', 'Immunization', 'Location', 'Organization']));
  });

  it('creates on the first conditional update, versions each change, and makes no version for a replay', async () => {
    const match = `Patient?identifier=${encodeURIComponent(`${system}|p1`)}`;
    const created = await fhir('PUT', match, patient('p1', 'Alpha'));
    expect(created.status).toBe(201);
    expect(created.resource.meta?.versionId).toBe('1');

    const changed = await fhir('PUT', match, patient('p1', 'Beta'));
    expect(changed.status).toBe(200);
    expect(changed.resource.id).toBe(created.resource.id);
    expect(changed.resource.meta?.versionId).toBe('2');

    const replayed = await fhir('PUT', match, patient('p1', 'Beta'));
    expect(replayed.resource.meta?.versionId).toBe('2');
  });

  it('refuses an update against a version that is no longer current', async () => {
    const match = `Patient?identifier=${encodeURIComponent(`${system}|p2`)}`;
    const { resource } = await fhir('PUT', match, patient('p2', 'Gamma'));
    await fhir('PUT', match, patient('p2', 'Delta'));
    const stale = await fhir(
      'PUT',
      `Patient/${resource.id}`,
      { ...patient('p2', 'Epsilon'), id: resource.id },
      { 'if-match': 'W/"1"' },
    );
    // HAPI answers 409 (HAPI-0989) where the spec says 412: the sink takes both as a conflict.
    expect([409, 412]).toContain(stale.status);
    expect(stale.resource.resourceType).toBe('OperationOutcome');
  });

  it('applies a transaction whole or not at all', async () => {
    const conditional = (value: string) => ({
      resource: patient(value, 'Zeta'),
      request: { method: 'PUT', url: `Patient?identifier=${encodeURIComponent(`${system}|${value}`)}` },
    });
    const { resource: t2 } = await fhir('PUT', conditional('t2').request.url, patient('t2', 'Zeta'));
    // t2 is at version 1: a transaction that expects it at another version fails whole.
    const stale = {
      resource: { ...patient('t2', 'Eta'), id: t2.id },
      request: { method: 'PUT', url: `Patient/${t2.id}`, ifMatch: 'W/"9"' },
    };
    const failed = await fhir('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [conditional('t1'), stale],
    });
    expect([409, 412]).toContain(failed.status);
    const search = await fhir('GET', conditional('t1').request.url);
    expect((search.resource as Resource & { total?: number }).total).toBe(0);

    const applied = await fhir('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [conditional('t1'), conditional('t2')],
    });
    expect(applied.status).toBe(200);
    expect(applied.resource.resourceType).toBe('Bundle');
    const entries = (applied.resource as Resource & { entry: { response: { status: string } }[] }).entry;
    // t1 created, t2 updated (its identical content makes no new version, and says so with 200).
    expect(entries.map((e) => e.response.status.split(' ')[0])).toEqual(['201', '200']);
    // HAPI serves a repeated search from its cache for a while: no-cache asks it to search again.
    const found = await fhir('GET', conditional('t1').request.url, undefined, {
      'cache-control': 'no-cache',
    });
    expect((found.resource as Resource & { total?: number }).total).toBe(1);
  });
});
