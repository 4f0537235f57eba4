import { redactUrl } from './redact.ts';

/**
 * A server as the pipeline file knows it, for messages: its kind, the setting (and variable) it
 * comes from, and its address without password, e.g.
 * "Redis (sinks[0].url, or REDIS_URL) at redis://127.0.0.1:6379".
 */
export function describeEndpoint(kind: string, address: string, setting?: string): string {
  return `${kind}${setting ? ` (${setting})` : ''} at ${redactUrl(address)}`;
}

/** The settings of the pipeline file that name the servers every processor and sink shares. */
export const SHARED_SETTINGS = {
  kafka: 'kafka.brokers, or KAFKA_BROKERS',
  registry: 'registry.url, or SCHEMA_REGISTRY_URL',
  redis: 'redis.url, or REDIS_URL',
  mongo: 'mongo.url, or MONGO_URL',
  fhir: 'fhir.url, or FHIR_URL',
  notion: 'notion.url, or NOTION_URL',
  google_calendar: 'google_calendar.url, or GOOGLE_CALENDAR_URL',
} as const;
