import * as oauth from 'oauth4webapi';
import type { Credentials } from './credentials.ts';
import { responseFailure, unreachable, type TokenEndpoint } from './token-failure.ts';

/** An access token as the token endpoint issued it. */
export interface IssuedToken {
  readonly accessToken: string;
  /** Its lifetime in seconds, when the answer said (RFC 6749 §5.1 only recommends it). */
  readonly expiresInS: number | undefined;
}

export interface TokenRequestOptions {
  readonly scope?: string | undefined;
  /** The service's stop: a request under way ends with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** How long the request may take, its answer read in full. */
  readonly timeoutMs: number;
}

// oauth4webapi's errors: the answer was read and is not a token response. Anything else thrown
// while reading it (a connection reset mid-body) is a request that got no full answer.
const ANSWER_ERRORS = [
  oauth.OperationProcessingError,
  oauth.ResponseBodyError,
  oauth.WWWAuthenticateChallengeError,
  oauth.UnsupportedOperationError,
];

/**
 * One client credentials grant (RFC 6749 §4.4) with oauth4webapi: the request, the client
 * authentication `credentials` add to it, and the checks of the answer. Throws the CdcError of
 * token-failure.ts, or the stop's reason.
 */
export async function requestToken(
  endpoint: TokenEndpoint,
  credentials: Credentials,
  options: TokenRequestOptions,
): Promise<IssuedToken> {
  // No discovery: the token URL is all the configuration gives, and all a client credentials
  // grant needs (oauth4webapi only requires an issuer, which it would put in its own assertions).
  const as: oauth.AuthorizationServer = { issuer: endpoint.url.href, token_endpoint: endpoint.url.href };
  const client: oauth.Client = { client_id: endpoint.clientId };
  const stop = options.signal;
  stop?.throwIfAborted();
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = stop === undefined ? deadline : AbortSignal.any([stop, deadline]);
  const timeout = () => ({ ms: options.timeoutMs, expired: deadline.aborted });
  const parameters = new URLSearchParams(options.scope === undefined ? {} : { scope: options.scope });
  let response: Response;
  try {
    response = await oauth.clientCredentialsGrantRequest(as, client, credentials.authenticate, parameters, {
      signal,
      // The settings allow http:// only to this machine (settings.ts).
      [oauth.allowInsecureRequests]: endpoint.url.protocol === 'http:',
    });
  } catch (error) {
    if (stop?.aborted) throw stop.reason;
    throw unreachable(endpoint, error, timeout());
  }
  let answer: oauth.TokenEndpointResponse;
  try {
    answer = await oauth.processClientCredentialsResponse(as, client, response);
  } catch (error) {
    if (stop?.aborted) throw stop.reason;
    if (deadline.aborted || !ANSWER_ERRORS.some((type) => error instanceof type)) {
      throw unreachable(endpoint, error, timeout());
    }
    throw await responseFailure(endpoint, credentials, response, error, Date.now());
  }
  if (answer.token_type !== 'bearer') {
    // oauth4webapi also takes DPoP tokens, which need a proof per request that the sink does not make.
    const why = new Error(`its token_type is ${answer.token_type}, and the sink sends Bearer tokens only`);
    throw await responseFailure(endpoint, credentials, response, why, Date.now());
  }
  return { accessToken: answer.access_token, expiresInS: answer.expires_in };
}
