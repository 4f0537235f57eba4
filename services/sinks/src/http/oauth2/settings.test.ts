import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redactSecrets } from '@cdc/core';
import { oauth2Setting } from './settings.ts';

const TOKEN_URL = 'https://auth.ministry.example/oauth2/token';

function problems(input: unknown): string[] {
  const parsed = oauth2Setting.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('oauth2Setting', () => {
  it('takes a client secret or a private key, leaving the defaults to TokenSource', () => {
    expect(
      oauth2Setting.parse({
        token_url: TOKEN_URL,
        client_id: 'cdc-pipeline',
        client_secret: { env: 'MINISTRY_CLIENT_SECRET' },
        scope: 'system/Patient.write system/Immunization.write',
      }),
    ).toEqual({
      token_url: TOKEN_URL,
      client_id: 'cdc-pipeline',
      client_secret: { env: 'MINISTRY_CLIENT_SECRET' },
      scope: 'system/Patient.write system/Immunization.write',
    });
    const key = {
      token_url: TOKEN_URL,
      client_id: 'cdc-pipeline',
      private_key: { file: '/run/secrets/ministry.pem' },
      key_id: 'key-2026',
      algorithm: 'ES384',
    };
    expect(oauth2Setting.parse(key)).toEqual(key);
    expect(
      problems({ token_url: 'http://127.0.0.1:8080/token', client_id: 'c', client_secret: 'x' }),
    ).toEqual([]);
    expect(problems({ token_url: 'http://localhost/token', client_id: 'c', client_secret: 'x' })).toEqual([]);
  });

  it('says in plain words what is wrong', () => {
    expect(problems({ token_url: TOKEN_URL, client_id: 'c' })).toEqual([
      ': give client_secret (a client secret) or private_key (a key signing a JWT assertion, private_key_jwt)',
    ]);
    expect(problems({ token_url: TOKEN_URL, client_id: 'c', client_secret: 'x', private_key: 'k' })).toEqual([
      'private_key: give either client_secret or private_key, not both',
    ]);
    expect(
      problems({
        token_url: TOKEN_URL,
        client_id: 'c',
        client_secret: 'x',
        key_id: 'k1',
        algorithm: 'RS384',
      }),
    ).toEqual(['key_id: applies to private_key only', 'algorithm: applies to private_key only']);
    expect(problems({ token_url: TOKEN_URL, client_id: 'c', private_key: 'k', client_auth: 'post' })).toEqual(
      ['client_auth: applies to client_secret only'],
    );
    expect(
      problems({
        token_url: 'http://auth.ministry.example/token',
        client_id: '',
        client_secret: 'x',
        client_auth: 'jwt',
      }),
    ).toEqual([
      'token_url: must be an https:// URL (http:// only to localhost): the token request carries the client’s credentials',
      'client_id: must not be empty',
      'client_auth: must be basic or post',
    ]);
    expect(problems({ token_url: 'not a url', client_id: 'c', client_secret: 'x' })).toEqual([
      'token_url: must be an https:// URL',
    ]);
    expect(
      problems({ token_url: 'ftp://h/token', client_id: 'c', private_key: 'k', algorithm: 'RS256' }),
    ).toEqual(['token_url: must be an https:// URL', 'algorithm: must be RS384 or ES384']);
  });

  it('hides the secret and the key when a config is printed', () => {
    const entry = z.strictObject({ auth: oauth2Setting });
    const secret = entry.parse({ auth: { token_url: TOKEN_URL, client_id: 'c', client_secret: 'hunter2' } });
    expect(redactSecrets(entry, secret)).toEqual({
      auth: { token_url: TOKEN_URL, client_id: 'c', client_secret: '***' },
    });
    const key = entry.parse({
      auth: { token_url: TOKEN_URL, client_id: 'c', private_key: '-----BEGIN PRIVATE' },
    });
    expect(JSON.stringify(redactSecrets(entry, key))).not.toContain('BEGIN');
  });

  it('is described for the generated reference', () => {
    const schema = z.toJSONSchema(oauth2Setting, { io: 'input' }) as {
      description?: string;
      properties: Record<string, { description?: string }>;
    };
    expect(schema.description).toBeTruthy();
    for (const key of Object.keys(oauth2Setting.shape)) {
      expect(schema.properties[key]?.description, key).toBeTruthy();
    }
  });
});
