import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import {
  Events,
  OAuth2Server,
  type MutableResponse,
  type MutableToken,
  type TokenRequestIncomingMessage,
} from 'oauth2-mock-server';

/** How a token request authenticated its client, as the mock token endpoint saw it. */
export interface SeenRequest {
  readonly method: 'basic' | 'post' | 'none';
  readonly clientId: string | undefined;
  readonly secret: string | undefined;
  readonly scope: string | undefined;
  readonly grantType: string | undefined;
}

export interface MockTokenEndpoint {
  readonly tokenUrl: string;
  readonly server: OAuth2Server;
  readonly requests: SeenRequest[];
  /** The access tokens issued, in order. */
  readonly issued: string[];
  /** The expires_in of the next answers (undefined: left out), and the tokens' exp with it. */
  expiresIn: number | undefined;
  /** A token's signature, and its exp against the clock; throws when it is not valid. */
  verify(token: string): Promise<JWTPayload>;
  close(): Promise<void>;
}

/**
 * oauth2-mock-server on a free local port as the token endpoint of the tests: it issues signed
 * JWTs for the client credentials grant; the hooks here refuse any client but `clientId` with
 * `clientSecret` (the mock itself checks none), date tokens by the tests' clock, and give each a
 * jti so that two tokens issued in one second differ.
 */
export async function startMockTokenEndpoint(options: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly expiresIn?: number | undefined;
  readonly now?: () => number;
}): Promise<MockTokenEndpoint> {
  const now = options.now ?? Date.now;
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const issuer = server.issuer.url!;
  const requests: SeenRequest[] = [];
  const issued: string[] = [];
  const endpoint: MockTokenEndpoint = {
    tokenUrl: `${issuer}/token`,
    server,
    requests,
    issued,
    expiresIn: 'expiresIn' in options ? options.expiresIn : 3600,
    async verify(token) {
      const keys = createLocalJWKSet({ keys: server.issuer.keys.toJSON() });
      const { payload } = await jwtVerify(token, keys, { issuer, currentDate: new Date(now()) });
      return payload;
    },
    close: () => server.stop(),
  };
  server.service.on(Events.BeforeTokenSigning, (token: MutableToken) => {
    const at = Math.floor(now() / 1000);
    Object.assign(token.payload, {
      iat: at,
      nbf: at,
      exp: at + (endpoint.expiresIn ?? 300),
      jti: randomUUID(),
    });
  });
  server.service.on(Events.BeforeResponse, (response: MutableResponse, req: TokenRequestIncomingMessage) => {
    const seen = seenRequest(req.headers.authorization, { ...req.body });
    requests.push(seen);
    if (seen.clientId !== options.clientId || seen.secret !== options.clientSecret) {
      response.statusCode = 401;
      response.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return;
    }
    const body = response.body as Record<string, unknown>;
    if (endpoint.expiresIn === undefined) delete body['expires_in'];
    else body['expires_in'] = endpoint.expiresIn;
    issued.push(body['access_token'] as string);
  });
  return endpoint;
}

function seenRequest(authorization: string | undefined, body: Record<string, unknown>): SeenRequest {
  const text = (key: string) => (typeof body[key] === 'string' ? body[key] : undefined);
  const common = { scope: text('scope'), grantType: text('grant_type') };
  if (authorization?.startsWith('Basic ')) {
    // RFC 6749 §2.3.1: both halves are form-encoded before base64.
    const pair = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    const decode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
    return {
      method: 'basic',
      clientId: decode(pair.slice(0, colon)),
      secret: decode(pair.slice(colon + 1)),
      ...common,
    };
  }
  const secret = text('client_secret');
  return { method: secret === undefined ? 'none' : 'post', clientId: text('client_id'), secret, ...common };
}
