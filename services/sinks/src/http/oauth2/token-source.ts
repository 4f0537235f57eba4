import { DEFAULT_TIMEOUT_MS } from '../http-settings.ts';
import { resolveCredentials, type Credentials } from './credentials.ts';
import type { OAuth2Config } from './settings.ts';
import type { TokenEndpoint } from './token-failure.ts';
import { requestToken } from './token-request.ts';

export interface TokenSourceOptions {
  /** Where the settings are, e.g. `sinks[0].auth`: messages and fixes name it. */
  readonly path: string;
  /** The service's stop: a token request under way ends with its reason. */
  readonly signal?: AbortSignal;
  /** The clock (ms since the epoch): expiry, and the times of assertions. Default Date.now. */
  readonly now?: () => number;
  /** How long one token request may take (default DEFAULT_TIMEOUT_MS, as for HTTP targets). */
  readonly timeoutMs?: number;
}

export interface TokenSourceCounters {
  /** Access tokens the token endpoint issued. */
  readonly tokensIssued: number;
  /** Tokens dropped because the API answered 401 to them (each leads to one new token request). */
  readonly refreshesOn401: number;
}

interface CachedToken {
  readonly value: string;
  /** From then on token() gets a new one. */
  readonly refreshAt: number;
}

/**
 * RFC 6749 §5.1 only recommends expires_in. Without it the lifetime is unknown: 5 minutes is short
 * enough that a server expiring tokens sooner costs few 401s (each ends with invalidate and one
 * new token), and long enough not to ask for a token for every request.
 */
export const DEFAULT_LIFETIME_S = 300;

/** Refresh ahead of expiry by 10% of the lifetime, at most 30 s: a token must not expire on its way. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(30_000, lifetimeMs / 10);
}

/**
 * Access tokens of one OAuth2 client (client credentials grant) for an HTTP sink: cached,
 * fetched again ahead of their expiry or after the API refused one (invalidate), one request at
 * a time however many callers wait for it.
 *
 *   const tokens = new TokenSource(config.auth, { path: 'sinks[0].auth', signal });
 *   await tokens.start();                 // refused credentials fail here, not on the first batch
 *   const token = await tokens.token();
 *   ... a 401 to `Bearer ${token}`: tokens.invalidate(token), then try again with tokens.token()
 */
export class TokenSource {
  readonly #config: OAuth2Config;
  readonly #options: TokenSourceOptions;
  readonly #now: () => number;
  readonly #endpoint: TokenEndpoint;
  #credentials: Promise<Credentials> | undefined;
  #current: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;
  #tokensIssued = 0;
  #refreshesOn401 = 0;

  constructor(config: OAuth2Config, options: TokenSourceOptions) {
    this.#config = config;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#endpoint = { url: new URL(config.token_url), path: options.path, clientId: config.client_id };
  }

  get counters(): TokenSourceCounters {
    return { tokensIssued: this.#tokensIssued, refreshesOn401: this.#refreshesOn401 };
  }

  /**
   * Reads the secret or key (resolveSecret) and fetches a first token, so that credentials the
   * token endpoint refuses stop the sink at its start, with the setting to correct.
   */
  async start(): Promise<void> {
    await this.#credentialsOnce();
    await this.token();
  }

  /** A valid access token: the cached one until its refresh is due, else the one new request's. */
  async token(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#now() < current.refreshAt) return current.value;
    // Once due, callers wait for the new token and share its failure, though the old one has the
    // margin left: the HTTP layer retries the batch as for any target that is away, and credentials
    // revoked meanwhile surface at once rather than when the old token runs out.
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return (await this.#pending).value;
  }

  /**
   * The API answered 401 to `token`: forget it if it is still the current one. A caller holding an
   * older token (one already replaced) leaves the newer one alone, so callers that got 401 at
   * once cause one new token request, not one each.
   */
  invalidate(token: string): void {
    if (this.#current?.value !== token) return;
    this.#current = undefined;
    this.#refreshesOn401 += 1;
  }

  async #fetch(): Promise<CachedToken> {
    const credentials = await this.#credentialsOnce();
    // The lifetime counts from the request, not the answer: the token was issued after it, so this
    // errs early, never late.
    const sentAt = this.#now();
    const issued = await requestToken(this.#endpoint, credentials, {
      scope: this.#config.scope,
      signal: this.#options.signal,
      timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const lifetimeMs = Math.max(0, issued.expiresInS ?? DEFAULT_LIFETIME_S) * 1000;
    const token = { value: issued.accessToken, refreshAt: sentAt + lifetimeMs - refreshMarginMs(lifetimeMs) };
    this.#current = token;
    this.#tokensIssued += 1;
    return token;
  }

  #credentialsOnce(): Promise<Credentials> {
    // Not kept when it fails: a secret file mounted late is read on the next attempt.
    this.#credentials ??= resolveCredentials(this.#config, {
      path: this.#options.path,
      now: this.#now,
    }).catch((error: unknown) => {
      this.#credentials = undefined;
      throw error;
    });
    return this.#credentials;
  }
}
