import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { CdcError } from '@cdc/core';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"): the secret is
 * base64, optionally prefixed `whsec_`; the signature is `v1,` + base64 HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>`, the timestamp in whole seconds since the epoch.
 */
export const SECRET_PREFIX = 'whsec_';

/**
 * The signing key of a secret, or a CdcError naming the setting when it is not base64. A KeyObject
 * made once: createHmac would otherwise make one from the bytes for every request.
 */
export function signingKey(secret: string, setting: string): KeyObject {
  const text = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/u.test(text) || key.length < 16) {
    throw new CdcError(
      'INVALID_CONFIG',
      `${setting}: the webhook secret must be at least 16 bytes in base64`,
      {
        fix: `generate one with: echo "whsec_$(openssl rand -base64 32)", and give the receiver the same`,
      },
    );
  }
  return createSecretKey(key);
}

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** The headers that sign `body` (its UTF-8 bytes, or the bytes themselves) as `id` at `nowMs`. */
export function signedHeaders(
  key: KeyObject,
  id: string,
  body: string | Uint8Array,
  nowMs: number,
): SignedHeaders {
  const timestamp = Math.floor(nowMs / 1000).toString();
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
