import { Kafka, logLevel, type RetryOptions } from 'kafkajs';
import { SHARED_SETTINGS, describeEndpoint } from '../endpoint.ts';

/**
 * kafkajs' retries inside every client of a processor or sink. They are short on purpose: the
 * service itself waits for Kafka with back-off, reports it on /ready and restarts its consumer in
 * process; kafkajs' defaults (retries nested in retries, up to 30 s apart) would hide a broker
 * outage for minutes and then end the consumer.
 */
export const CLIENT_RETRY: RetryOptions = { initialRetryTime: 300, maxRetryTime: 3_000, retries: 3 };

export interface KafkaClientOptions {
  /** How the client names itself to the brokers (group members, broker logs); kafkajs' default otherwise. */
  readonly clientId?: string | undefined;
  /** kafkajs' retries of each request; its defaults when left out (CLIENT_RETRY for services). */
  readonly retry?: RetryOptions | undefined;
}

/**
 * Every Kafka client of the project (services, tools, tests, benchmarks): kafkajs' own logger is
 * off, its failures reach the caller as errors to word (kafkaFailure) instead of log lines.
 */
export function kafkaClient(brokers: readonly string[], options: KafkaClientOptions = {}): Kafka {
  return new Kafka({
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
}

/** A Kafka client for a processor or sink. */
export function serviceKafka(brokers: readonly string[], clientId: string): Kafka {
  return kafkaClient(brokers, { clientId, retry: CLIENT_RETRY });
}

/** "Kafka (kafka.brokers, or KAFKA_BROKERS) at 127.0.0.1:9092" unless told otherwise. */
export function describeKafka(brokers: readonly string[], setting: string = SHARED_SETTINGS.kafka): string {
  return describeEndpoint('Kafka', brokers.join(','), setting);
}
