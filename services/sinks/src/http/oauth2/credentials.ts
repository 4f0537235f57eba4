import { randomUUID } from 'node:crypto';
import { resolveSecret } from '@cdc/core';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  DEFAULT_ALGORITHM,
  DEFAULT_CLIENT_AUTH,
  type AssertionAlgorithm,
  type OAuth2Config,
} from './settings.ts';
import { importSigningKey } from './signing-key.ts';

/** The client's credentials, resolved: how a token request authenticates, and what it must never show. */
export interface Credentials {
  /** Adds the client authentication to a token request (oauth4webapi's ClientAuth). */
  readonly authenticate: oauth.ClientAuth;
  /** The setting holding the credential, which a refusal points at: `client_secret` or `private_key`. */
  readonly setting: 'client_secret' | 'private_key';
  /** For private_key: the kid and algorithm, which a fix names. */
  readonly keyId?: string;
  readonly algorithm?: AssertionAlgorithm;
  /**
   * `text` (something the token endpoint answered) with the secret, the key and the last
   * assertion replaced by ***: a server that echoes what it refused must not put them in logs.
   */
  hide(text: string): string;
}

/**
 * How long an assertion is valid. SMART Backend Services allows at most 5 minutes; it is used at
 * once, so a shorter life leaves room for a clock that is ahead of the server's (which would see
 * more than 5 minutes) or behind it (which would see it expired).
 */
export const ASSERTION_LIFETIME_S = 180;

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Reads the secret or key a config names (resolveSecret) and prepares the client authentication. */
export async function resolveCredentials(
  config: OAuth2Config,
  context: { readonly path: string; readonly now: () => number },
): Promise<Credentials> {
  const hidden = new Set<string>();
  const hide = (text: string): string => {
    let shown = text;
    for (const value of hidden) if (value !== '') shown = shown.replaceAll(value, '***');
    return shown;
  };
  if (config.client_secret !== undefined) {
    const secret = await resolveSecret(config.client_secret, { path: `${context.path}.client_secret` });
    hidden.add(secret).add(encodeURIComponent(secret));
    const method = config.client_auth ?? DEFAULT_CLIENT_AUTH;
    return {
      authenticate: method === 'basic' ? oauth.ClientSecretBasic(secret) : oauth.ClientSecretPost(secret),
      setting: 'client_secret',
      hide,
    };
  }
  if (config.private_key === undefined) {
    // The schema's refinement makes this unreachable; a config built in code may still get here.
    throw new TypeError(`${context.path}: neither client_secret nor private_key is set`);
  }
  const setting = `${context.path}.private_key`;
  const text = await resolveSecret(config.private_key, { path: setting });
  hidden.add(text);
  const algorithm = config.algorithm ?? DEFAULT_ALGORITHM;
  const { key, kid: jwkKid } = await importSigningKey(text, algorithm, setting);
  const kid = config.key_id ?? jwkKid;
  let lastAssertion = '';
  return {
    // As RFC 7523 §2.2 and SMART Backend Services have it. oauth4webapi's own PrivateKeyJwt puts
    // the issuer in `aud`; SMART wants the token URL, and there is no issuer without discovery.
    authenticate: async (_as, client, body) => {
      const nowS = Math.floor(context.now() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: algorithm, typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(config.token_url)
        .setJti(randomUUID())
        .setIssuedAt(nowS)
        .setExpirationTime(nowS + ASSERTION_LIFETIME_S)
        .sign(key);
      hidden.delete(lastAssertion);
      hidden.add(assertion);
      lastAssertion = assertion;
      body.set('client_id', client.client_id);
      body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      body.set('client_assertion', assertion);
    },
    setting: 'private_key',
    ...(kid === undefined ? {} : { keyId: kid }),
    algorithm,
    hide,
  };
}
