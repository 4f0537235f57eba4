import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdcError, needsOperator } from '@cdc/core';
import { isolate } from '@cdc/testkit';
import { event } from '../../test/conformance.ts';
import { answer, startTestServer, type TestServer } from '../http/test-server.ts';
import { startMockTokenEndpoint, type MockTokenEndpoint } from '../http/oauth2/test-mock-server.ts';
import { patientSink, writeUntilDone } from './fhir-test-target.ts';

// The FHIR sink behind OAuth2 client credentials, as a ministry's API stands: a token endpoint
// issuing 60 s tokens, and in front of the stack's HAPI server a gateway that answers 401 to a
// token it does not accept (expired, or revoked before its time) and forwards the rest. A run
// of more than a minute must lose nothing and never send a refused token twice in a row.

const iso = isolate('fhir-oauth2');
const CLIENT_ID = 'cdc-ministry-sink';
const SECRET = 'fhir-oauth2-test-secret';
const LIFETIME_S = 60;

let tokens: MockTokenEndpoint;
let gateway: TestServer;
/** Per request through the gateway: its token and whether it was let through. */
const seen: { token: string; accepted: boolean }[] = [];
const revoked = new Set<string>();

beforeAll(async () => {
  tokens = await startMockTokenEndpoint({ clientId: CLIENT_ID, clientSecret: SECRET, expiresIn: LIFETIME_S });
  const fhir = iso.env.FHIR_URL.replace(/\/$/u, '');
  gateway = await startTestServer(async (request, response) => {
    const token = /^Bearer (.+)$/u.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const valid =
      !revoked.has(token) &&
      (await tokens.verify(token).then(
        () => true,
        () => false,
      ));
    seen.push({ token, accepted: valid });
    if (!valid) {
      answer(response, 401, '', { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    const forwarded = await fetch(`${fhir}${request.path.replace(/^\/fhir/u, '')}`, {
      method: request.method,
      headers: Object.fromEntries(
        ['content-type', 'accept', 'prefer', 'if-match', 'cache-control']
          .filter((name) => typeof request.headers[name] === 'string')
          .map((name) => [name, request.headers[name] as string]),
      ),
      ...(request.body === '' ? {} : { body: request.body }),
    });
    const body = await forwarded.text();
    answer(response, forwarded.status, body, {
      'content-type': forwarded.headers.get('content-type') ?? 'application/fhir+json',
    });
  });
});

afterAll(async () => {
  await Promise.all([tokens.close(), gateway.close()]);
});

const auth = (secret: string) => ({
  token_url: tokens.tokenUrl,
  client_id: CLIENT_ID,
  client_secret: secret,
  client_auth: 'post' as const,
});

describe('FHIR sink with OAuth2 client credentials', () => {
  it('writes through a run longer than a token lives, and never sends a refused token twice in a row', async () => {
    // Read back straight from the server: the gateway wants tokens.
    const target = patientSink(`${gateway.url}/fhir`, { auth: auth(SECRET) }, undefined, iso.env.FHIR_URL);
    await target.sink.start();
    try {
      const started = Date.now();
      let id = 0;
      let revokedOne = false;
      const written = new Map<number, string>();
      while (Date.now() - started < (LIFETIME_S + 10) * 1000) {
        if (!revokedOne && Date.now() - started > 20_000) {
          // The ministry revokes the token in use before its time: one 401, then a new token.
          revoked.add(tokens.issued.at(-1)!);
          revokedOne = true;
        }
        const batch = Array.from({ length: 5 }, () => {
          id += 1;
          written.set(id, `p${id}`);
          return event('c', id, { name: `p${id}` });
        });
        expect(
          (await writeUntilDone(target.sink, batch, { pauseMs: 500 })).every((o) => o.kind === 'written'),
        ).toBe(true);
        await sleep(2_000);
      }
      // Nothing lost: every patient is on the server.
      for (const [key, name] of written) {
        const held = await target.held(BigInt(key));
        expect(held.map((patient) => (patient.name as { text: string }[])[0]?.text)).toEqual([name]);
      }
      // Tokens: a fresh one at least once a minute, and a refused one never sent again.
      expect(tokens.issued.length).toBeGreaterThanOrEqual(2);
      const refused = seen.filter((request) => !request.accepted);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      seen.forEach((request, i) => {
        if (!request.accepted) expect(seen[i + 1]?.token).not.toBe(request.token);
      });
    } finally {
      await target.sink.close();
    }
  }, 180_000);

  it('fails at start with a wrong secret, naming the token URL and never the secret', async () => {
    const wrong = 'not-the-ministry-secret';
    const target = patientSink(`${gateway.url}/fhir`, { auth: auth(wrong) });
    const error = await target.sink.start().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(CdcError);
    const failure = error as CdcError;
    expect(needsOperator(failure)).toBe(true);
    expect(failure.message).toContain(tokens.tokenUrl);
    expect(failure.fix).toMatch(/sinks\[0\]\.auth\.client_secret/u);
    expect(
      JSON.stringify({ message: failure.message, fix: failure.fix, details: failure.details }),
    ).not.toContain(wrong);
    await target.sink.close();
  });
});
