import { afterEach, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { HttpTarget } from '../http-target.ts';
import { answer, startTestServer, type TestServer } from '../test-server.ts';
import { oauth2Setting } from './settings.ts';
import { startMockTokenEndpoint, type MockTokenEndpoint } from './test-mock-server.ts';
import { TokenSource } from './token-source.ts';

const CLIENT_ID = 'cdc-pipeline';
const SECRET = 'acceptance-secret';
const LIFETIME_S = 60;

let tokenEndpoint: MockTokenEndpoint | undefined;
let api: TestServer | undefined;
afterEach(async () => {
  await Promise.all([tokenEndpoint?.close(), api?.close()]);
  tokenEndpoint = undefined;
  api = undefined;
});

/** Simulated time: the token endpoint dates its tokens by it, the API judges them by it. */
function manualClock() {
  let now = Date.UTC(2026, 2, 1, 8);
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A deterministic sequence in [0, 1) (mulberry32), so the simulated run is the same every time. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Arrival {
  readonly token: string;
  readonly expired: boolean;
}

/**
 * The set-up a FHIR sink has: a token endpoint issuing 60 s tokens (oauth2-mock-server) and an
 * API that answers 401 to a token that is not valid at the (simulated) time it arrives.
 */
async function ministry(clock: ReturnType<typeof manualClock>) {
  tokenEndpoint = await startMockTokenEndpoint({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    expiresIn: LIFETIME_S,
    now: clock.now,
  });
  const endpoint = tokenEndpoint;
  const arrivals: Arrival[] = [];
  api = await startTestServer(async (req, res) => {
    const token = /^Bearer (.+)$/u.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const valid = await endpoint.verify(token).then(
      () => true,
      () => false,
    );
    arrivals.push({ token, expired: !valid });
    if (valid) answer(res, 201, 'created');
    else answer(res, 401, '', { 'www-authenticate': 'Bearer error="invalid_token"' });
  });
  const config = oauth2Setting.parse({
    token_url: endpoint.tokenUrl,
    client_id: CLIENT_ID,
    client_secret: SECRET,
  });
  const tokens = new TokenSource(config, { path: 'sinks[0].auth', now: clock.now });
  const target = new HttpTarget({
    name: 'ministry-fhir',
    url: `${api.url}/fhir/Immunization`,
    timeoutMs: 5000,
  });
  return { tokens, target, arrivals };
}

const is401 = (error: unknown) => error instanceof CdcError && error.details['status'] === 401;

describe('OAuth2 tokens over a run longer than their lifetime', () => {
  it('never sends an expired token twice in a row, and refreshes once per 401', async () => {
    const clock = manualClock();
    const { tokens, target, arrivals } = await ministry(clock);
    await tokens.start();
    const next = random(2026);
    let refusals = 0;
    // A sink's send: a 401 drops the token it used and the request goes again, once.
    const send = async (body: string, inFlightMs: number) => {
      for (let attempt = 1; ; attempt += 1) {
        const token = await tokens.token();
        clock.advance(inFlightMs); // queued behind the budget, on the way: the token ages
        try {
          return await target.request({ headers: { authorization: `Bearer ${token}` }, body });
        } catch (error) {
          if (attempt > 1 || !is401(error)) throw error;
          refusals += 1;
          tokens.invalidate(token);
        }
      }
    };
    const started = clock.now();
    for (let i = 0; clock.now() - started < 10 * 60_000; i += 1) {
      // Mostly quick requests; every so often one that waits longer than the refresh margin (6 s).
      const inFlightMs = next() < 0.2 ? 6500 + next() * 2000 : next() * 300;
      const answered = await send(`{"resourceType":"Immunization","id":"${i}"}`, inFlightMs);
      expect(answered.status).toBe(201);
      clock.advance(next() * 4000);
    }
    const elapsedS = (clock.now() - started) / 1000;
    expect(elapsedS).toBeGreaterThan(10 * LIFETIME_S);
    for (let i = 1; i < arrivals.length; i += 1) {
      expect(arrivals[i - 1]!.expired && arrivals[i]!.expired, `requests ${i - 1} and ${i}`).toBe(false);
    }
    const expired = arrivals.filter((a) => a.expired).length;
    expect(expired).toBeGreaterThan(0); // the run does reach the 401 path
    expect(refusals).toBe(expired);
    expect(tokens.counters.refreshesOn401).toBe(expired);
    // Ahead of expiry (at 54 s) plus one per 401, and nothing more.
    const { tokensIssued } = tokens.counters;
    expect(tokensIssued).toBeGreaterThanOrEqual(Math.floor(elapsedS / LIFETIME_S));
    expect(tokensIssued).toBeLessThanOrEqual(Math.ceil(elapsedS / (LIFETIME_S * 0.9)) + expired + 1);
    expect(tokenEndpoint!.issued).toHaveLength(tokensIssued);
  });

  it('senders refused at once share one new token', async () => {
    const clock = manualClock();
    const { tokens, target, arrivals } = await ministry(clock);
    await tokens.start();
    const held = await Promise.all(Array.from({ length: 4 }, () => tokens.token()));
    clock.advance((LIFETIME_S + 1) * 1000); // all four waited past the token's expiry
    const sent = held.map(async (token, i) => {
      try {
        return await target.request({ headers: { authorization: `Bearer ${token}` }, body: `${i}` });
      } catch (error) {
        if (!is401(error)) throw error;
        tokens.invalidate(token);
        const fresh = await tokens.token();
        return target.request({ headers: { authorization: `Bearer ${fresh}` }, body: `${i}` });
      }
    });
    expect((await Promise.all(sent)).map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(arrivals.map((a) => a.expired)).toEqual([true, true, true, true, false, false, false, false]);
    expect(new Set(arrivals.slice(4).map((a) => a.token)).size).toBe(1);
    expect(tokens.counters).toEqual({ tokensIssued: 2, refreshesOn401: 1 });
  });
});
