import type { SinkKind } from '../sink-kind.ts';
import { WEBHOOK_SUPPORTS, webhookSinkSchema } from './config.ts';
import { WebhookSink } from './webhook-sink.ts';

/** Outgoing webhooks in the registry of sink kinds (kinds.ts). */
export const webhookKind = {
  kind: 'webhook',
  title: 'webhook receivers',
  entry: webhookSinkSchema,
  supports: WEBHOOK_SUPPORTS,
  verifiable: false,
  create: (entry, context) => new WebhookSink(entry, context.path, context.rateLimitWaits),
} as const satisfies SinkKind<typeof webhookSinkSchema>;
