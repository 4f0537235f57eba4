import { z } from 'zod';
import { MAPPING_ERROR, secretSetting } from '@cdc/core';
import {
  concurrencySetting,
  httpUrlSetting,
  requestsSetting,
  timeoutMsSetting,
} from '../http/http-settings.ts';
import { parseSinkEntry, sinkEntry } from '../shared-settings.ts';

/**
 * A receiver is another team's system: the sink can neither read nor guard what it holds, so no
 * conflict detection and no delete markers. Receivers drop duplicates by webhook-id and order by
 * the version in each event (docs/contracts.md, Versions).
 */
export const WEBHOOK_SUPPORTS = { conflicts: false, deleteMarkers: false, versionGuard: 'receiver' } as const;

/**
 * The `sinks:` entry of an outgoing webhook, e.g.
 *
 *   - kind: webhook
 *     name: patients-to-billing
 *     topics: [cdc.public.patients]
 *     url: https://billing.example.org/hooks/cdc
 *     secret: { env: BILLING_WEBHOOK_SECRET }
 *     batch: { max_events: 100 }
 */
export const webhookSinkSchema = sinkEntry('webhook', WEBHOOK_SUPPORTS, {
  url: httpUrlSetting.describe(
    'Receiver URL: every change is POSTed there, e.g. https://example.org/hooks/cdc',
  ),
  secret: secretSetting.describe(
    'Standard Webhooks signing secret, whsec_ followed by base64 (at least 16 bytes), shared with the receiver: ' +
      'the value, { env: NAME } or { file: PATH }; never printed',
  ),
  batch: z
    .strictObject(
      {
        max_events: z
          .int('must be a whole number of events')
          .min(1, 'must be at least 1')
          .max(1000, 'must be at most 1000')
          .default(1)
          .describe(
            '1: one CloudEvent per request (application/cloudevents+json); more: a JSON array of up to this ' +
              'many per request (application/cloudevents-batch+json), sent one request after the other',
          ),
      },
      MAPPING_ERROR,
    )
    .prefault({})
    .describe('Several changes per request'),
  // A receiver documents no rate of its own: unlimited unless the entry sets one.
  requests: requestsSetting({ perSecond: 100, burst: 100 })
    .unwrap()
    .optional()
    .describe(
      'Request budget of the receiver, { per_second, burst }; default unlimited (Retry-After is always honoured)',
    ),
  timeout_ms: timeoutMsSetting,
  concurrency: concurrencySetting(),
}).describe(
  'Outgoing webhook: POSTs each change as a CloudEvent (JSON), signed per Standard Webhooks, retried while the receiver fails',
);

export type WebhookSinkConfig = z.output<typeof webhookSinkSchema>;
export type WebhookSinkInput = z.input<typeof webhookSinkSchema>;

export function parseWebhookSinkConfig(input: unknown): WebhookSinkConfig {
  return parseSinkEntry(webhookSinkSchema, input, 'webhook');
}
