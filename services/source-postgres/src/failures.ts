import {
  CdcError,
  NeedsOperatorError,
  describeEndpoint,
  describeKafka,
  errorChain,
  isOperatorCode,
  isTransient,
  kafkaFailure,
  networkProblem,
} from '@cdc/core';
import type { SourceConfig } from './config.ts';
import { pgFailure } from './pg-failure.ts';

/**
 * Every failure of the source, classified in one place: sourceFailure() turns whatever a step
 * threw into @cdc/core's vocabulary, and the reconnect loop (reconnect-loop.ts) acts on it.
 *
 * Transient: a retriable CdcError naming the server in the pipeline file's words. The source
 * waits it out in process, with back-off, and streams on from the slot's confirmed position
 * (the slot only ever confirms what Kafka acknowledged, so nothing is lost):
 *   - PostgreSQL: connection refused, reset or closed; shutting down, crashed, starting up
 *     (SQLSTATE 57P01-57P03, class 08); too many connections, out of disk or memory (class 53
 *     but 53400); a slot still held by the walsender of a dead connection (55006, SLOT_IN_USE);
 *     every WAL sender busy (a retriable preflight problem); the replication connection ending.
 *   - Kafka: connection errors, no leader or coordinator yet, timeouts, kafkajs having given up
 *     after its own retries (each reconnect builds a new producer).
 *   - The schema registry: unreachable (its client reports that as HTTP 400 with the socket
 *     error in the message), HTTP 5xx, 408 or 429.
 * Needs an operator: a NeedsOperatorError with its fix; the source ends and the CLI exits 75,
 * because a restart succeeds once someone acted outside the pipeline file:
 *   - PostgreSQL refusing us: wrong password or unknown role (class 28), missing privilege
 *     (42501), missing database (3D000), any other server error (SQLSTATE) that is not waitable;
 *   - the preflight's problems that are not retriable (wal_level, REPLICATION, replica
 *     identity, a lost slot under snapshot.mode initial, ...), publication or slot mismatches;
 *   - an incompatible schema change, a record over Kafka's size limit, Kafka or registry
 *     authorization.
 * (ERROR_CODES in @cdc/core marks these codes needsOperator.) Anything else ends the source
 * unchanged, and the CLI exits 1: an invalid pipeline file (INVALID_CONFIG, caught before the
 * source starts), a value Avro cannot carry (UNREPRESENTABLE_VALUE) or an error we do not know (a
 * bug), which a restart would not cure.
 */

/** The settings (and variables) of the pipeline file that name the source's servers. */
export const SOURCE_SETTINGS = {
  postgres: 'source.database.url, or CDC_PG_URL',
  kafka: 'source.kafka.brokers, or KAFKA_BROKERS',
  registry: 'source.registry.url, or SCHEMA_REGISTRY_URL',
} as const;

/** The source's servers as its pipeline file names them, for messages. */
export interface SourceEndpoints {
  readonly postgres: string;
  readonly kafka: string;
  readonly registry: string;
}

export function sourceEndpoints(config: SourceConfig): SourceEndpoints {
  return {
    postgres: describeEndpoint('PostgreSQL', config.database.url, SOURCE_SETTINGS.postgres),
    kafka: describeKafka(config.kafka.brokers, SOURCE_SETTINGS.kafka),
    registry: describeEndpoint('the schema registry', config.registry.url, SOURCE_SETTINGS.registry),
  };
}

const fromKafka = (error: unknown) =>
  [...errorChain(error)].some((link) => typeof link.name === 'string' && link.name.startsWith('KafkaJS'));

// @kafkajs/confluent-schema-registry (mappersmith) throws ResponseError, its own checks
// ConfluentSchemaRegistry*Error; the registrar wraps them as SCHEMA_REGISTRY.
const fromRegistry = (error: unknown) =>
  [...errorChain(error)].some(
    (link) =>
      link.code === 'SCHEMA_REGISTRY' ||
      link.name === 'ResponseError' ||
      (typeof link.name === 'string' && link.name.startsWith('ConfluentSchemaRegistry')),
  );

/**
 * The failure as the source acts on it: transient (isTransient: a retriable CdcError), needing
 * an operator (NeedsOperatorError), or anything else, returned unchanged (exit code 1).
 */
export function sourceFailure(error: unknown, endpoints: SourceEndpoints): unknown {
  if (error instanceof NeedsOperatorError) return error;
  if (error instanceof CdcError && error.retriable) return error;
  const client = clientFailure(error, endpoints);
  // A wrapper of ours keeps its own words unless its cause is the server being away: a wrapper
  // that classified by the client's own flag (kafkajs marks "retries exhausted" as not
  // retriable; the registry client reports a refused connection as HTTP 400) is overruled.
  if (client && (isTransient(client) || !(error instanceof CdcError))) return client;
  // The source's own refusals (thrown not retriable where they arise) that an operator fixes
  // outside the pipeline file: the codes the table marks needsOperator. The rest exits 1.
  if (error instanceof CdcError && isOperatorCode(error.code) && error.fix) {
    return new NeedsOperatorError(error.code, error.message, {
      fix: error.fix,
      details: error.details,
      cause: error,
    });
  }
  return error;
}

/** What the failure of a client library in the error's chain means, naming its server. */
function clientFailure(error: unknown, endpoints: SourceEndpoints): CdcError | undefined {
  const raw = error instanceof CdcError && error.cause !== undefined ? error.cause : error;
  if (fromKafka(raw)) return kafkaFailure(endpoints.kafka, raw);
  if (fromRegistry(error)) return registryFailure(endpoints.registry, raw);
  return pgFailure(endpoints.postgres, raw);
}

/** The registry away (waited for) or refusing us (an operator's business); undefined otherwise. */
function registryFailure(registry: string, error: unknown): CdcError | undefined {
  const statuses = [...errorChain(error)].map((link) => link.status).filter((s) => typeof s === 'number');
  const status = statuses.at(-1);
  if (status === 401 || status === 403) {
    return new NeedsOperatorError('REGISTRY_REFUSED', `${registry} refused the source (HTTP ${status})`, {
      fix: 'give the source credentials the registry accepts (in source.registry.url) and the right to read and register schemas',
      cause: error,
    });
  }
  const network = networkProblem(error);
  const away = network
    ? `is unreachable: ${network}`
    : status !== undefined && (status >= 500 || status === 408 || status === 429)
      ? `answered HTTP ${status}`
      : undefined;
  if (!away) return undefined;
  return new CdcError('REGISTRY_UNREACHABLE', `${registry} ${away}`, {
    retriable: true,
    fix: 'check that the schema registry is up and reachable; the source reconnects by itself',
    cause: error,
  });
}
