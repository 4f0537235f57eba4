import { createPrivateKey } from 'node:crypto';
import { CdcError } from '@cdc/core';

/** Google's token endpoint, the `token_uri` of every key Google Cloud issues. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** The fields of a service account key (the JSON file Google Cloud gives) that the sink uses. */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly privateKeyId: string | undefined;
  readonly tokenUri: string;
}

/**
 * Reads the key JSON of `setting` (its path, for messages), checking what signing a token
 * needs, so that a wrong key stops the sink at start with the setting named, never an event.
 */
export function parseServiceAccountKey(text: string, setting: string): ServiceAccountKey {
  const invalid = (problem: string) =>
    new CdcError('INVALID_CONFIG', `${setting}: ${problem}`, {
      fix:
        `put the service account key JSON in ${setting} (Google Cloud console: IAM, Service accounts, ` +
        'Keys, Add key, JSON), as text, { env: NAME } or { file: PATH }',
      details: { setting },
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('is not JSON; it must be a service account key file (type service_account)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw invalid('must be a JSON object (a key file)');
  const key = json as Record<string, unknown>;
  if (key.type !== undefined && key.type !== 'service_account') {
    throw invalid(
      `is a key of type ${JSON.stringify(key.type)}; the sink needs a service account key (type service_account)`,
    );
  }
  const text_ = (name: string) => (typeof key[name] === 'string' && key[name] !== '' ? key[name] : undefined);
  const clientEmail = text_('client_email');
  const privateKey = text_('private_key');
  if (clientEmail === undefined) throw invalid('has no client_email');
  if (privateKey === undefined) throw invalid('has no private_key');
  try {
    createPrivateKey(privateKey);
  } catch (error) {
    throw invalid(`private_key is not a PEM private key (${(error as Error).message})`);
  }
  const tokenUri = text_('token_uri') ?? GOOGLE_TOKEN_URI;
  if (!URL.canParse(tokenUri) || !/^https?:$/u.test(new URL(tokenUri).protocol)) {
    throw invalid(`token_uri ${tokenUri} is not an http(s) URL`);
  }
  return { clientEmail, privateKey, privateKeyId: text_('private_key_id'), tokenUri };
}
