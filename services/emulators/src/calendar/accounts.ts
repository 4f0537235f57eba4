/**
 * Service accounts and the access tokens issued to them. Each account gets an RSA key pair; the
 * private half goes out in a key file shaped like the one the Cloud console downloads
 * (https://developers.google.com/identity/protocols/oauth2/service-account#creatingcredentials), the
 * public half verifies the JWT assertions of the token endpoint.
 */
import { generateKeyPair, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsa = promisify(generateKeyPair);

export const PROJECT_ID = 'cdc-emulator';
/** Access tokens live an hour, as Google's do (`expires_in: 3600`). */
export const TOKEN_LIFETIME_SECONDS = 3600;

export interface ServiceAccountKey {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly auth_uri: string;
  readonly token_uri: string;
  readonly auth_provider_x509_cert_url: string;
  readonly client_x509_cert_url: string;
  readonly universe_domain: string;
}

export interface ServiceAccount {
  readonly email: string;
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly tokenUri: string;
  /** The calendar created with the account; `primary` names it in API paths. */
  readonly calendarId: string;
}

export interface AccessToken {
  readonly email: string;
  readonly scopes: readonly string[];
  readonly expiresAtMs: number;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

// Service-account ids are 6-30 characters of lowercase letters, digits and hyphens, starting with a
// letter; a random suffix keeps names unique when test files pick the same one.
function accountId(name: string | undefined): string {
  const base = (name ?? 'sa')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 21);
  return `${base || 'sa'}-${hex(4)}`;
}

export class Accounts {
  readonly #byEmail = new Map<string, ServiceAccount>();
  readonly #tokens = new Map<string, AccessToken>();

  async create(
    name: string | undefined,
    tokenUri: string,
    calendarId: string,
  ): Promise<{ account: ServiceAccount; key: ServiceAccountKey }> {
    const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
    const email = `${accountId(name)}@${PROJECT_ID}.iam.gserviceaccount.com`;
    const account: ServiceAccount = { email, keyId: hex(20), publicKey, tokenUri, calendarId };
    this.#byEmail.set(email, account);
    const key: ServiceAccountKey = {
      type: 'service_account',
      project_id: PROJECT_ID,
      private_key_id: account.keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id:
        String(randomInt(1e9, 1e10 - 1)) + String(randomInt(1e9, 1e10 - 1)) + String(randomInt(0, 9)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      // The default universe: another one would make google-auth-library sign its own JWTs instead
      // of asking the token endpoint.
      universe_domain: 'googleapis.com',
    };
    return { account, key };
  }

  byEmail(email: string): ServiceAccount | undefined {
    return this.#byEmail.get(email);
  }

  issueToken(email: string, scopes: readonly string[], now = Date.now()): string {
    // Google's access tokens start with "ya29."; clients treat them as opaque.
    const token = `ya29.${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(token, { email, scopes, expiresAtMs: now + TOKEN_LIFETIME_SECONDS * 1000 });
    return token;
  }

  /** The live token named by an `Authorization: Bearer` header, else undefined. */
  tokenOf(authorization: string | undefined, now = Date.now()): AccessToken | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1] === undefined ? undefined : this.#tokens.get(match[1]);
    if (!token) return undefined;
    if (token.expiresAtMs <= now) return undefined;
    return token;
  }
}
