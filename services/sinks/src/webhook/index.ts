export { batchId, cloudEvent, eventId, type ChangeData, type CloudEvent } from './cloud-event.ts';
export {
  parseWebhookSinkConfig,
  webhookSinkSchema,
  type WebhookSinkConfig,
  type WebhookSinkInput,
} from './config.ts';
export { webhookKind } from './kind.ts';
export { signedHeaders, signingKey } from './signature.ts';
export { NO_KEY_REASON, WebhookSink } from './webhook-sink.ts';
