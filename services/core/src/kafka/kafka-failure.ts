import { CdcError, errorChain } from '../errors.ts';
import { NeedsOperatorError } from '../failure.ts';
import { networkProblem } from '../network-error.ts';

/**
 * Kafka refusals that only an operator can lift (protocol error types, as kafkajs names them),
 * with what to do. Everything else Kafka does wrong (a broker away, a leader being elected, a
 * coordinator loading) passes: the service waits for it.
 */
const OPERATOR_FIXES: Readonly<Record<string, string>> = {
  SASL_AUTHENTICATION_FAILED: 'check the Kafka credentials of this service',
  UNSUPPORTED_SASL_MECHANISM:
    'enable a SASL mechanism the client supports on the broker (PLAIN, SCRAM-SHA-256/512)',
  ILLEGAL_SASL_STATE: 'check the SASL settings of the broker listener',
  TOPIC_AUTHORIZATION_FAILED:
    "grant this service's principal Describe, Read and Write on its topics (kafka-acls.sh --add --topic ...)",
  GROUP_AUTHORIZATION_FAILED:
    "grant this service's principal Read on its consumer group (kafka-acls.sh --add --group ...)",
  CLUSTER_AUTHORIZATION_FAILED:
    "grant this service's principal Create on the cluster, or create its topics (.dlq and outputs) yourself",
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    "grant this service's principal Write on its transactional ids (kafka-acls.sh --add --transactional-id '<group>.' --resource-pattern-type prefixed)",
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 'check the delegation token of this service',
  UNSUPPORTED_VERSION: 'use a Kafka broker of version 0.11 or newer',
  POLICY_VIOLATION: 'create the topic yourself as the broker policy allows, with the partitions named above',
  INVALID_REPLICATION_FACTOR: 'create the topic yourself with a replication factor the cluster can hold',
  INVALID_TRANSACTION_TIMEOUT: 'raise transaction.max.timeout.ms on the broker to at least 60000',
};

const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  KafkaJSSASLAuthenticationError: OPERATOR_FIXES.SASL_AUTHENTICATION_FAILED as string,
  KafkaJSServerDoesNotSupportApiKey: OPERATOR_FIXES.UNSUPPORTED_VERSION as string,
};

/** What an operator must do about this Kafka failure; undefined when waiting may cure it. */
export function operatorFixOf(error: unknown): string | undefined {
  for (const link of errorChain(error)) {
    if (typeof link.type === 'string' && OPERATOR_FIXES[link.type]) return OPERATOR_FIXES[link.type];
    if (typeof link.name === 'string' && OPERATOR_NAMES[link.name]) return OPERATOR_NAMES[link.name];
  }
  return undefined;
}

/** The innermost message: kafkajs' wrappers repeat or hide it ("Number of retries exceeded"). */
function rootMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (const link of errorChain(error)) {
    if (typeof link.message === 'string' && link.message.length > 0) message = link.message;
  }
  return message;
}

/**
 * A kafkajs failure in the pipeline file's words: `KAFKA_UNAVAILABLE` (retriable: the service
 * waits) with what went wrong, or a NeedsOperatorError with its fix. `kafka` names the brokers
 * ("Kafka (kafka.brokers, or KAFKA_BROKERS) at 127.0.0.1:9092"); `doing` says what was attempted.
 */
export function kafkaFailure(kafka: string, error: unknown, doing?: string): CdcError {
  if (error instanceof CdcError) return error;
  const what = doing ? ` (${doing})` : '';
  const fix = operatorFixOf(error);
  if (fix) {
    return new NeedsOperatorError(
      'KAFKA_REFUSED',
      `${kafka} refused this service${what}: ${rootMessage(error)}`,
      {
        fix,
        cause: error,
      },
    );
  }
  const links = [...errorChain(error)];
  if (links.some((link) => link.type === 'UNKNOWN_TOPIC_OR_PARTITION')) {
    return new CdcError('TOPIC_MISSING', `${kafka}: a topic of this service does not exist${what}`, {
      retriable: true,
      fix: 'create the topic (or start the service that creates it); the service waits for it',
      cause: error,
    });
  }
  const network = networkProblem(error);
  const timedOut = links.some((link) => link.name === 'KafkaJSRequestTimeoutError');
  const problem = network
    ? `is unreachable: ${network}`
    : timedOut
      ? 'does not answer: request timed out'
      : `failed: ${rootMessage(error)}`;
  return new CdcError('KAFKA_UNAVAILABLE', `${kafka} ${problem}${what}`, {
    retriable: true,
    fix: 'check that the Kafka brokers are up and reachable; the service waits for them',
    cause: error,
  });
}
