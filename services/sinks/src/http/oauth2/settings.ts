import { z } from 'zod';
import { MAPPING_ERROR, secretSetting } from '@cdc/core';

/** The JWS algorithms SMART Backend Services asks servers to support for client assertions. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];
export const DEFAULT_ALGORITHM: AssertionAlgorithm = 'RS384';

export const CLIENT_AUTH_METHODS = ['basic', 'post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
export const DEFAULT_CLIENT_AUTH: ClientAuthMethod = 'basic';

/** Whether `url` stays on this machine, where credentials may travel without TLS (tests, a local proxy). */
export function isLoopback(url: URL): boolean {
  return (
    url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/u.test(url.hostname)
  );
}

const tokenUrlSetting = z
  .url({ protocol: /^https?$/u, error: 'must be an https:// URL' })
  // Only an http:// URL is this check's to judge: the one above reports any other.
  .refine((value) => {
    const url = URL.parse(value);
    return url?.protocol !== 'http:' || isLoopback(url);
  }, 'must be an https:// URL (http:// only to localhost): the token request carries the client’s credentials')
  .describe('The OAuth2 token endpoint of the API, e.g. https://auth.ministry.example/oauth2/token');

/**
 * `auth:` of an HTTP sink whose API takes OAuth2 client credentials (RFC 6749 §4.4): a client
 * secret (client_secret_basic or client_secret_post), or a JWT assertion signed with a private key
 * (private_key_jwt, as SMART Backend Services specifies), e.g.
 *
 *   auth:
 *     token_url: https://auth.ministry.example/oauth2/token
 *     client_id: cdc-pipeline
 *     private_key: { file: /run/secrets/ministry.pem }
 *     key_id: key-2026
 *     scope: system/Patient.write system/Immunization.write
 *
 * `algorithm` and `client_auth` have no schema default: the refinement tells an operator who set
 * one for the other kind of credential, which a default would hide. TokenSource applies the
 * defaults (DEFAULT_ALGORITHM, DEFAULT_CLIENT_AUTH).
 */
export const oauth2Setting = z
  .strictObject(
    {
      token_url: tokenUrlSetting,
      client_id: z
        .string({ error: 'must be text' })
        .min(1, 'must not be empty')
        .describe('The client id the API registered for the pipeline'),
      client_secret: secretSetting
        .describe(
          'The client secret the API issued: the value, { env: NAME } or { file: PATH }; never printed. ' +
            'Either this or private_key',
        )
        .optional(),
      client_auth: z
        .enum(CLIENT_AUTH_METHODS, { error: 'must be basic or post' })
        .optional()
        .describe(
          'How the client secret is sent: basic (HTTP Basic authentication, client_secret_basic; the default) ' +
            'or post (in the request body, client_secret_post)',
        ),
      private_key: secretSetting
        .describe(
          'The private key that signs the JWT assertion (private_key_jwt): a PKCS#8 PEM (BEGIN PRIVATE KEY) ' +
            'or a private JWK as JSON; the value, { env: NAME } or { file: PATH }; never printed. ' +
            'Either this or client_secret',
        )
        .optional(),
      key_id: z
        .string({ error: 'must be text' })
        .min(1, 'must not be empty')
        .optional()
        .describe(
          'kid of the assertion: the id of the public key the API has for the client (default: the kid of a JWK, none for a PEM)',
        ),
      algorithm: z
        .enum(ASSERTION_ALGORITHMS, { error: 'must be RS384 or ES384' })
        .optional()
        .describe(
          'Signature of the assertion: RS384 (the default; an RSA key of 2048 bits or more) or ES384 (an EC P-384 key)',
        ),
      scope: z
        .string({ error: 'must be text' })
        .min(1, 'must not be empty')
        .optional()
        .describe(
          'Scopes to ask for, separated by spaces, e.g. system/Patient.write system/Immunization.write',
        ),
    },
    MAPPING_ERROR,
  )
  .superRefine((auth, context) => {
    const secret = auth.client_secret !== undefined;
    const key = auth.private_key !== undefined;
    if (secret && key) {
      context.addIssue({
        code: 'custom',
        path: ['private_key'],
        message: 'give either client_secret or private_key, not both',
      });
    } else if (!secret && !key) {
      context.addIssue({
        code: 'custom',
        path: [],
        message:
          'give client_secret (a client secret) or private_key (a key signing a JWT assertion, private_key_jwt)',
      });
    }
    for (const setting of ['key_id', 'algorithm'] as const) {
      if (!key && auth[setting] !== undefined) {
        context.addIssue({ code: 'custom', path: [setting], message: 'applies to private_key only' });
      }
    }
    if (!secret && auth.client_auth !== undefined) {
      context.addIssue({ code: 'custom', path: ['client_auth'], message: 'applies to client_secret only' });
    }
  })
  .describe(
    'OAuth2 client credentials: the sink asks the token endpoint for access tokens and sends them as Bearer',
  );

export type OAuth2Config = z.output<typeof oauth2Setting>;
export type OAuth2Input = z.input<typeof oauth2Setting>;
