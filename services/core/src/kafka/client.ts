import { Kafka, logLevel, type IHeaders, type RetryOptions } from 'kafkajs';
import { SHARED_SETTINGS, describeEndpoint } from '../endpoint.ts';

/**
 * kafkajs' retries inside every client of a processor or sink. They are short on purpose: the
 * service itself waits for Kafka with back-off, reports it on /ready and restarts its consumer in
 * process; kafkajs' defaults (retries nested in retries, up to 30 s apart) would hide a broker
 * outage for minutes and then end the consumer.
 */
export const CLIENT_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 3_000, retries: 3 };

/** A Kafka client for a processor or sink. */
export function serviceKafka(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({ brokers: [...brokers], clientId, logLevel: logLevel.NOTHING, retry: CLIENT_RETRY });
}

/** "Kafka (kafka.brokers, or KAFKA_BROKERS) at 127.0.0.1:9092" unless told otherwise. */
export function describeKafka(brokers: readonly string[], setting: string = SHARED_SETTINGS.kafka): string {
  return describeEndpoint('Kafka', brokers.join(','), setting);
}

/** A record's headers as text (the first value of repeated ones). */
export function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}
