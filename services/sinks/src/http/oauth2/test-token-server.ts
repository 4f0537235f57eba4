import { randomUUID } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { answer, startTestServer, type Received } from '../test-server.ts';
import { CLIENT_ASSERTION_TYPE } from './credentials.ts';

/** An assertion the token server accepted: its header and claims, verified. */
export interface VerifiedAssertion {
  readonly header: JWTHeaderParameters;
  readonly claims: JWTPayload;
  /** The token request's form, as sent. */
  readonly form: URLSearchParams;
}

export interface AssertionTokenServer {
  readonly tokenUrl: string;
  readonly accepted: VerifiedAssertion[];
  /** Why requests were refused (the server answered 400 invalid_client). */
  readonly refused: string[];
  /** Every request as it came. */
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * A token endpoint for private_key_jwt (RFC 7523 §2.2, SMART Backend Services), which
 * oauth2-mock-server does not check: it verifies each assertion with jose against the client's
 * public key (signature, algorithm, typ, iss = sub = client id, aud = token URL, exp at most 5
 * minutes ahead, a jti never seen before, the kid) and refuses with invalid_client otherwise.
 */
export async function startAssertionTokenServer(options: {
  readonly clientId: string;
  readonly publicKey: CryptoKey;
  readonly algorithm: 'RS384' | 'ES384';
  readonly kid: string | undefined;
  readonly expiresIn?: number;
  readonly now?: () => number;
}): Promise<AssertionTokenServer> {
  const now = options.now ?? Date.now;
  const accepted: VerifiedAssertion[] = [];
  const refused: string[] = [];
  const jtis = new Set<string>();
  let tokenUrl = '';
  const check = async (form: URLSearchParams): Promise<VerifiedAssertion> => {
    if (form.get('grant_type') !== 'client_credentials')
      throw new Error('grant_type is not client_credentials');
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE)
      throw new Error('wrong client_assertion_type');
    const assertion = form.get('client_assertion');
    if (assertion === null) throw new Error('no client_assertion');
    const { payload, protectedHeader } = await jwtVerify(assertion, options.publicKey, {
      algorithms: [options.algorithm],
      typ: 'JWT',
      issuer: options.clientId,
      subject: options.clientId,
      audience: tokenUrl,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(now()),
    });
    if (payload.exp! - Math.floor(now() / 1000) > 300) throw new Error('exp is more than 5 minutes ahead');
    if (jtis.has(payload.jti!)) throw new Error(`jti ${payload.jti} was used before`);
    jtis.add(payload.jti!);
    if (protectedHeader.kid !== options.kid)
      throw new Error(`kid ${protectedHeader.kid} is not ${options.kid}`);
    return { header: protectedHeader, claims: payload, form };
  };
  const server = await startTestServer(async (request, response) => {
    const json = { 'content-type': 'application/json' };
    const form = new URLSearchParams(request.body);
    try {
      accepted.push(await check(form));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      refused.push(reason);
      answer(response, 400, JSON.stringify({ error: 'invalid_client', error_description: reason }), json);
      return;
    }
    const token = {
      access_token: `at-${randomUUID()}`,
      token_type: 'Bearer',
      expires_in: options.expiresIn ?? 300,
    };
    answer(response, 200, JSON.stringify(token), json);
  });
  tokenUrl = `${server.url}/oauth2/token`;
  return { tokenUrl, accepted, refused, received: server.received, close: () => server.close() };
}
