/**
 * `POST /token`: the OAuth 2.0 JWT bearer grant (RFC 7523) as Google documents it for service accounts
 * (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests):
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>` with claims iss (the
 * account's email), scope (space-delimited), aud, exp (at most an hour after iat) and iat.
 * Errors are RFC 6749 section 5.2 bodies `{ error, error_description }` with status 400.
 */
import type { FastifyInstance } from 'fastify';
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { TOKEN_LIFETIME_SECONDS, type Accounts } from './accounts.ts';

export const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/**
 * The service-account guide: "When making an access token request this value is always
 * https://oauth2.googleapis.com/token". google-auth-library 11 signs exactly that and posts to that
 * URL whatever the key's token_uri says (its transport must be redirected, see the tests); other
 * clients sign the key's token_uri, which is accepted too.
 */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
/** The guide: the assertion may be valid for at most one hour. */
const MAX_ASSERTION_SECONDS = 3600;
/**
 * Not documented; a few minutes of clock skew is what JWT validators commonly allow (RFC 7519
 * section 4.1.4 leaves "some small leeway" to the implementer). Without it, a client clock a second
 * ahead of the emulator would fail at random.
 */
const SKEW_SECONDS = 300;

class GrantError extends Error {
  readonly error: string;
  constructor(error: string, description: string) {
    super(description);
    this.error = error;
  }
}

const TIMEFRAME =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

function claimsOf(assertion: string): JWTPayload {
  try {
    if (decodeProtectedHeader(assertion).alg !== 'RS256')
      throw new GrantError(
        'invalid_grant',
        'Invalid JWT: the header must name alg RS256 (a service account key signs with RSA SHA-256)',
      );
    return decodeJwt(assertion);
  } catch (error) {
    if (error instanceof GrantError) throw error;
    throw new GrantError(
      'invalid_grant',
      'Invalid JWT: the assertion is not a signed JWT (header.payload.signature)',
    );
  }
}

async function grant(accounts: Accounts, form: Record<string, string>, now: number) {
  if (form.grant_type !== GRANT_TYPE)
    throw new GrantError(
      'unsupported_grant_type',
      `Invalid grant_type: ${form.grant_type ?? ''} (only ${GRANT_TYPE} is served)`,
    );
  const assertion = form.assertion;
  if (!assertion) throw new GrantError('invalid_request', 'Missing required parameter: assertion');

  const claims = claimsOf(assertion);
  const account = typeof claims.iss === 'string' ? accounts.byEmail(claims.iss) : undefined;
  if (!account) throw new GrantError('invalid_grant', 'Invalid grant: account not found');
  try {
    await compactVerify(assertion, account.publicKey, { algorithms: ['RS256'] });
  } catch {
    throw new GrantError('invalid_grant', 'Invalid JWT Signature.');
  }

  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => aud === GOOGLE_TOKEN_AUDIENCE || aud === account.tokenUri))
    throw new GrantError(
      'invalid_grant',
      `Invalid JWT: aud must be ${GOOGLE_TOKEN_AUDIENCE} (or this key's token_uri ${account.tokenUri}), got ${JSON.stringify(claims.aud)}`,
    );

  const seconds = Math.floor(now / 1000);
  const { iat, exp } = claims;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    exp <= iat ||
    exp - iat > MAX_ASSERTION_SECONDS ||
    iat > seconds + SKEW_SECONDS ||
    exp < seconds - SKEW_SECONDS
  )
    throw new GrantError('invalid_grant', TIMEFRAME);

  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  if (!scopes.length)
    throw new GrantError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');

  return {
    access_token: accounts.issueToken(account.email, scopes, now),
    expires_in: TOKEN_LIFETIME_SECONDS,
    token_type: 'Bearer',
  };
}

export function registerTokenEndpoint(app: FastifyInstance, accounts: Accounts): void {
  // Its own scope, so the form parser and error handler touch no API route.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof GrantError)
        return reply.code(400).send({ error: error.error, error_description: error.message });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply.code(status).send({
        error: 'invalid_request',
        error_description: error instanceof Error ? error.message : String(error),
      });
    });
    scope.post('/token', async (request) => {
      const body = request.body;
      const form =
        body && typeof body === 'object'
          ? Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]))
          : {};
      return grant(accounts, form, Date.now());
    });
  });
}
