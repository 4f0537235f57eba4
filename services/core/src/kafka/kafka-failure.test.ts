import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CdcError } from '../errors.ts';
import { isTransient, needsOperator } from '../failure.ts';
import { kafkaFailure } from './kafka-failure.ts';

const KAFKA = 'Kafka (kafka.brokers, or KAFKA_BROKERS) at 127.0.0.1:9092';
const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError(Object.assign(new Error(`broker says ${type}`), { type, code: 1, retriable }));

describe('kafkaFailure', () => {
  it('words an unreachable broker in the pipeline file’s terms, through kafkajs’ retry wrappers', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', {
      broker: '127.0.0.1:9092',
      code: 'ECONNREFUSED',
    });
    const wrapped = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 1200 });
    const failure = kafkaFailure(KAFKA, wrapped, 'consumer group g');
    expect(failure).toMatchObject({ code: 'KAFKA_UNAVAILABLE', retriable: true });
    expect(failure.message).toBe(`${KAFKA} is unreachable: connection refused (consumer group g)`);
    expect(isTransient(failure)).toBe(true);
    expect(
      kafkaFailure(KAFKA, new KafkaJSRequestTimeoutError('Request Fetch(key: 1, version: 11) timed out'))
        .message,
    ).toBe(`${KAFKA} does not answer: request timed out`);
  });

  it('needs an operator for refused credentials and privileges, with the fix', () => {
    for (const error of [
      new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
        'SASL PLAIN authentication failed',
      ),
      protocol('TOPIC_AUTHORIZATION_FAILED', false),
      new KafkaJSNumberOfRetriesExceeded(protocol('GROUP_AUTHORIZATION_FAILED', false), {
        retryCount: 0,
        retryTime: 0,
      }),
      protocol('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false),
    ]) {
      const failure = kafkaFailure(KAFKA, error);
      expect(needsOperator(failure), error.message).toBe(true);
      expect(failure).toMatchObject({ code: 'KAFKA_REFUSED', retriable: true });
      expect(failure.fix).toBeTruthy();
      expect(failure.message).toMatch(new RegExp(`^${KAFKA.replace(/[().]/g, '\\$&')} refused this service`));
    }
  });

  it('waits for whatever else Kafka does wrong: elections, coordinators, a topic that is not there yet', () => {
    expect(kafkaFailure(KAFKA, protocol('LEADER_NOT_AVAILABLE', true))).toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      message: `${KAFKA} failed: broker says LEADER_NOT_AVAILABLE`,
    });
    expect(kafkaFailure(KAFKA, protocol('UNKNOWN_TOPIC_OR_PARTITION', true))).toMatchObject({
      code: 'TOPIC_MISSING',
      retriable: true,
    });
    const own = new CdcError('TOPIC_MISSING', 'waiting for topic t', { retriable: true });
    expect(kafkaFailure(KAFKA, own)).toBe(own);
  });
});
