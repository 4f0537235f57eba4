export { ASSERTION_LIFETIME_S, CLIENT_ASSERTION_TYPE } from './credentials.ts';
export {
  ASSERTION_ALGORITHMS,
  CLIENT_AUTH_METHODS,
  DEFAULT_ALGORITHM,
  DEFAULT_CLIENT_AUTH,
  oauth2Setting,
  type AssertionAlgorithm,
  type ClientAuthMethod,
  type OAuth2Config,
  type OAuth2Input,
} from './settings.ts';
export {
  DEFAULT_LIFETIME_S,
  TokenSource,
  refreshMarginMs,
  type TokenSourceCounters,
  type TokenSourceOptions,
} from './token-source.ts';
