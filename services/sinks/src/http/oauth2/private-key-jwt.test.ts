import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { needsOperator } from '@cdc/core';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { ASSERTION_LIFETIME_S } from './credentials.ts';
import { oauth2Setting, type OAuth2Input } from './settings.ts';
import { startAssertionTokenServer, type AssertionTokenServer } from './test-token-server.ts';
import { TokenSource } from './token-source.ts';
import { failureOf } from '../test-failures.ts';

const CLIENT_ID = 'cdc-pipeline';
const PATH = 'sinks[0].auth';

let server: AssertionTokenServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function sourceFor(auth: Partial<OAuth2Input> & { private_key: OAuth2Input['private_key'] }) {
  const config = oauth2Setting.parse({ token_url: server!.tokenUrl, client_id: CLIENT_ID, ...auth });
  return new TokenSource(config, { path: PATH });
}

/** Three tokens, so three assertions: a 401 drops the current token each time. */
async function threeTokens(source: TokenSource): Promise<string[]> {
  await source.start();
  const tokens = [await source.token()];
  for (let i = 0; i < 2; i += 1) {
    source.invalidate(tokens.at(-1)!);
    tokens.push(await source.token());
  }
  return tokens;
}

describe('private_key_jwt (SMART Backend Services)', () => {
  it('signs an RS384 assertion with a PKCS#8 PEM from a file: iss = sub = client, aud = token URL, short exp, fresh jti, kid', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
    server = await startAssertionTokenServer({
      clientId: CLIENT_ID,
      publicKey,
      algorithm: 'RS384',
      kid: 'key-2026',
    });
    dir = await mkdtemp(join(tmpdir(), 'oauth2-'));
    const file = join(dir, 'ministry.pem');
    await writeFile(file, `${await exportPKCS8(privateKey)}\n`);
    const source = sourceFor({ private_key: { file }, key_id: 'key-2026', scope: 'system/Patient.write' });
    const before = Math.floor(Date.now() / 1000);
    const tokens = await threeTokens(source);
    expect(server.refused).toEqual([]);
    expect(new Set(tokens).size).toBe(3);
    expect(server.accepted).toHaveLength(3);
    for (const { header, claims, form } of server.accepted) {
      expect(header).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'key-2026' });
      expect(claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: server.tokenUrl });
      expect(claims.exp! - claims.iat!).toBe(ASSERTION_LIFETIME_S);
      expect(claims.exp! - before).toBeLessThanOrEqual(300);
      expect(form.get('scope')).toBe('system/Patient.write');
      expect(form.get('client_secret')).toBeNull();
    }
    expect(new Set(server.accepted.map((a) => a.claims.jti)).size).toBe(3);
    expect(source.counters).toEqual({ tokensIssued: 3, refreshesOn401: 2 });
  });

  it('signs ES384 with a private JWK, taking its kid', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'ec-1', alg: 'ES384' };
    server = await startAssertionTokenServer({
      clientId: CLIENT_ID,
      publicKey,
      algorithm: 'ES384',
      kid: 'ec-1',
    });
    await threeTokens(sourceFor({ private_key: JSON.stringify(jwk), algorithm: 'ES384' }));
    expect(server.refused).toEqual([]);
    expect(server.accepted.map((a) => a.header)).toEqual(
      Array(3).fill({ alg: 'ES384', typ: 'JWT', kid: 'ec-1' }),
    );
  });

  it('a key the API does not know needs an operator, and no message shows the assertion or the key', async () => {
    const registered = await generateKeyPair('RS384');
    const other = await generateKeyPair('RS384', { extractable: true });
    const pem = await exportPKCS8(other.privateKey);
    server = await startAssertionTokenServer({
      clientId: CLIENT_ID,
      publicKey: registered.publicKey,
      algorithm: 'RS384',
      kid: 'key-2026',
    });
    const failure = await failureOf(sourceFor({ private_key: pem, key_id: 'key-2026' }).start());
    expect(needsOperator(failure)).toBe(true);
    expect(failure.code).toBe('HTTP_TARGET_MISCONFIGURED');
    expect(failure.message).toBe(
      `OAuth2 token endpoint ${server.tokenUrl} refused client ${CLIENT_ID} (${PATH}): ` +
        '400 Bad Request, invalid_client: signature verification failed',
    );
    expect(failure.fix).toContain(`public key of ${PATH}.private_key as key key-2026 (RS384)`);
    const assertion = new URLSearchParams(server.received[0]!.body).get('client_assertion')!;
    const shown = JSON.stringify({
      failure,
      message: failure.message,
      fix: failure.fix,
      details: failure.details,
    });
    expect(shown).not.toContain(assertion);
    expect(shown).not.toContain(assertion.split('.')[2]);
    expect(shown).not.toContain(pem.split('\n')[1]);
  });

  it('says what is wrong with a key that cannot sign, naming the setting and never the key', async () => {
    server = await startAssertionTokenServer({
      clientId: CLIENT_ID,
      publicKey: (await generateKeyPair('RS384')).publicKey,
      algorithm: 'RS384',
      kid: undefined,
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const publicJwk = JSON.stringify(rsa.publicKey.export({ format: 'jwk' }));
    const cases: [Partial<OAuth2Input> & { private_key: string }, string][] = [
      [{ private_key: pkcs1 }, 'is a PEM of a RSA PRIVATE KEY, not a PKCS#8 private key'],
      [{ private_key: pkcs8, algorithm: 'ES384' }, 'cannot be used for ES384: it is not an EC P-384 key'],
      [{ private_key: small }, 'is an RSA key of 1024 bits; RS384 needs 2048 or more'],
      [{ private_key: publicJwk }, 'is a public JWK'],
      [{ private_key: '{"kty": "RSA", "d": ' }, 'starts like a JWK but is not valid JSON'],
      [{ private_key: 'not a key at all' }, 'is neither a PEM'],
    ];
    for (const [auth, problem] of cases) {
      const failure = await failureOf(sourceFor(auth).start());
      expect(failure.code).toBe('INVALID_CONFIG');
      expect(failure.message).toContain(`${PATH}.private_key: the private key ${problem}`);
      expect(failure.fix).toContain(`point ${PATH}.private_key at it`);
      const shown = JSON.stringify({ failure, message: failure.message, fix: failure.fix });
      for (const line of auth.private_key.split('\n').filter((l) => l.length > 20 && !l.startsWith('---'))) {
        expect(shown).not.toContain(line);
      }
    }
    expect(server.received).toEqual([]);
  });
});
