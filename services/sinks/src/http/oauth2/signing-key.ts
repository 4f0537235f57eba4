import { CdcError } from '@cdc/core';
import { importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import type { AssertionAlgorithm } from './settings.ts';

/** A private key ready to sign assertions, and the kid a JWK named itself with. */
export interface SigningKey {
  readonly key: CryptoKey;
  readonly kid: string | undefined;
}

const CURVE: Readonly<Record<AssertionAlgorithm, string | undefined>> = { RS384: undefined, ES384: 'P-384' };

/**
 * The private key a `private_key` setting holds: a PKCS#8 PEM or a private JWK (JSON). Errors
 * name the setting and what is wrong with its key, never any of the key.
 */
export async function importSigningKey(
  text: string,
  algorithm: AssertionAlgorithm,
  setting: string,
): Promise<SigningKey> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return importJwkText(trimmed, algorithm, setting);
  const pem = /-----BEGIN ([A-Z ]+)-----/u.exec(trimmed)?.[1];
  if (pem === undefined) {
    throw invalidKey(setting, 'is neither a PEM (BEGIN PRIVATE KEY) nor a JWK (JSON)', KEY_FIX);
  }
  if (pem === 'ENCRYPTED PRIVATE KEY') {
    throw invalidKey(setting, 'is an encrypted PEM, which the sink cannot decrypt', CONVERT_FIX);
  }
  if (pem !== 'PRIVATE KEY') {
    // PKCS#1 (BEGIN RSA PRIVATE KEY) and SEC1 (BEGIN EC PRIVATE KEY) are what older tools write.
    throw invalidKey(
      setting,
      `is a PEM of a ${pem}, not a PKCS#8 private key (BEGIN PRIVATE KEY)`,
      CONVERT_FIX,
    );
  }
  try {
    return checked(await importPKCS8(trimmed, algorithm), undefined, algorithm, setting);
  } catch (error) {
    if (error instanceof CdcError) throw error;
    throw invalidKey(setting, `cannot be used for ${algorithm}: ${reason(error, algorithm)}`, KEY_FIX, error);
  }
}

async function importJwkText(
  text: string,
  algorithm: AssertionAlgorithm,
  setting: string,
): Promise<SigningKey> {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the mistake: part of the key.
    throw invalidKey(setting, 'starts like a JWK but is not valid JSON', KEY_FIX);
  }
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw invalidKey(setting, 'is not a JWK (a JSON object)', KEY_FIX);
  }
  const fields = jwk as JWK & { keys?: unknown };
  if (fields.keys !== undefined) {
    throw invalidKey(setting, 'is a JWK Set: give the one private JWK that signs', KEY_FIX);
  }
  if (fields.d === undefined) {
    throw invalidKey(setting, 'is a public JWK (it has no "d"): give the private key', KEY_FIX);
  }
  if (fields.alg !== undefined && fields.alg !== algorithm) {
    throw invalidKey(
      setting,
      `is a JWK for ${fields.alg}, and the assertion is signed with ${algorithm}`,
      `set algorithm to the key’s, or give a key for ${algorithm}`,
    );
  }
  const kid = typeof fields.kid === 'string' && fields.kid !== '' ? fields.kid : undefined;
  try {
    const key = await importJWK(fields, algorithm);
    if (key instanceof Uint8Array) throw new TypeError('a symmetric (oct) key');
    return checked(key, kid, algorithm, setting);
  } catch (error) {
    if (error instanceof CdcError) throw error;
    throw invalidKey(setting, `cannot be used for ${algorithm}: ${reason(error, algorithm)}`, KEY_FIX, error);
  }
}

// jose checks the modulus only when signing; a start should say it, not the first token request.
function checked(
  key: CryptoKey,
  kid: string | undefined,
  algorithm: AssertionAlgorithm,
  setting: string,
): SigningKey {
  const { modulusLength } = key.algorithm as { modulusLength?: number };
  if (modulusLength !== undefined && modulusLength < 2048) {
    throw invalidKey(
      setting,
      `is an RSA key of ${modulusLength} bits; ${algorithm} needs 2048 or more`,
      KEY_FIX,
    );
  }
  if (key.type !== 'private' || !key.usages.includes('sign')) {
    throw invalidKey(setting, 'is not a private key that may sign (see its key_ops)', KEY_FIX);
  }
  return { key, kid };
}

function reason(error: unknown, algorithm: AssertionAlgorithm): string {
  const message = error instanceof Error ? error.message : String(error);
  const curve = CURVE[algorithm];
  if (/key type|curve|crv|kty/iu.test(message)) {
    return curve === undefined ? 'it is not an RSA key' : `it is not an EC ${curve} key`;
  }
  return message;
}

const KEY_FIX =
  'give a PKCS#8 PEM (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072, or ' +
  '-algorithm EC -pkeyopt ec_paramgen_curve:P-384 for ES384) or a private JWK, whose public key the API has';
const CONVERT_FIX =
  'convert it to an unencrypted PKCS#8 PEM: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem';

function invalidKey(setting: string, problem: string, fix: string, cause?: unknown): CdcError {
  return new CdcError('INVALID_CONFIG', `${setting}: the private key ${problem}`, {
    fix: `${fix}; then point ${setting} at it`,
    details: { setting },
    ...(cause === undefined ? {} : { cause }),
  });
}
