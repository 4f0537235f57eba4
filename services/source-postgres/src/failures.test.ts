import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CdcError, NeedsOperatorError, isTransient } from '@cdc/core';
import { parseSourceConfig } from './config.ts';
import { sourceEndpoints, sourceFailure } from './failures.ts';

// The one classification of the source's failures (failures.ts): transient ones are waited out
// in process, those only an operator can fix end it with exit code 75, anything else with 1.

const config = parseSourceConfig({
  database: { url: 'postgres://cdc:secret@db.example:5432/shop' },
  kafka: { brokers: ['k1.example:9092', 'k2.example:9092'] },
  registry: { url: 'http://registry.example:8081/apis/ccompat/v7' },
});
const endpoints = sourceEndpoints(config);

// kafkajs' typings give its error classes one argument; its client passes more, as here.
type ProtocolError = { type: string; code: number; retriable: boolean; message: string };
const exhaustedRetries = (cause: Error) =>
  new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(cause, { cause });
const protocolError = (e: ProtocolError) =>
  new (KafkaJSProtocolError as unknown as new (e: ProtocolError) => Error)(e);
const classify = (error: unknown) => sourceFailure(error, endpoints);

/** What the source does about it. */
function outcome(error: unknown): 'wait' | 'exit 75' | 'exit 1' {
  const failure = classify(error);
  if (isTransient(failure)) return 'wait';
  return failure instanceof NeedsOperatorError ? 'exit 75' : 'exit 1';
}

const message = (error: unknown) => (classify(error) as Error).message;

function serverError(sqlstate: string, text: string): pg.DatabaseError {
  const error = new pg.DatabaseError(text, text.length, 'error');
  error.code = sqlstate;
  error.severity = 'FATAL';
  return error;
}

const socketError = (code: string, port: number) =>
  Object.assign(new Error(`connect ${code} 10.0.0.1:${port}`), { code, syscall: 'connect', port });

describe('the source failure classification', () => {
  it.each([
    ['connection refused', socketError('ECONNREFUSED', 5432)],
    ['connection reset', socketError('ECONNRESET', 5432)],
    ['both addresses of localhost refusing', new AggregateError([socketError('ECONNREFUSED', 5432)], '')],
    ['a connection lost (node-postgres)', new Error('Connection terminated unexpectedly')],
    ['a connection timeout (node-postgres)', new Error('Connection terminated due to connection timeout')],
    ['admin shutdown 57P01', serverError('57P01', 'terminating connection due to administrator command')],
    [
      'crash shutdown 57P02',
      serverError('57P02', 'terminating connection because of crash of another server process'),
    ],
    ['starting up 57P03', serverError('57P03', 'the database system is starting up')],
    ['a connection failure of class 08', serverError('08006', 'connection failure')],
    ['too many connections 53300', serverError('53300', 'sorry, too many clients already')],
    [
      'a slot held by a dying walsender 55006',
      serverError('55006', 'replication slot "s" is active for PID 42'),
    ],
  ])('waits for PostgreSQL: %s', (_what, error) => {
    expect(outcome(error)).toBe('wait');
    expect(message(error)).toMatch(
      /^PostgreSQL \(source\.database\.url, or CDC_PG_URL\) at postgres:\/\/cdc:\*\*\*@db\.example/u,
    );
  });

  it.each([
    [
      'a wrong password 28P01',
      serverError('28P01', 'password authentication failed for user "cdc"'),
      /password/u,
    ],
    ['an unknown role 28000', serverError('28000', 'role "cdc" does not exist'), /password/u],
    ['a missing privilege 42501', serverError('42501', 'permission denied for table t'), /grant/u],
    [
      'a missing database 3D000',
      serverError('3D000', 'database "shop" does not exist'),
      /create the database/u,
    ],
  ])('needs an operator when PostgreSQL refuses: %s', (_what, error, fix) => {
    expect(outcome(error)).toBe('exit 75');
    const failure = classify(error) as NeedsOperatorError;
    expect(failure.message).toContain('refused');
    expect(failure.message).not.toContain('secret');
    expect(failure.fix).toMatch(fix);
  });

  it('says what the connection refused means, in the pipeline file’s words', () => {
    expect(message(socketError('ECONNREFUSED', 5432))).toBe(
      'PostgreSQL (source.database.url, or CDC_PG_URL) at postgres://cdc:***@db.example:5432/shop is unreachable: connection refused',
    );
  });

  it('waits for Kafka, also once kafkajs gave up after its own retries', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.2:9092', {
      code: 'ECONNREFUSED',
    });
    const exhausted = exhaustedRetries(refused);
    const leader = protocolError({
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
      message: 'no leader',
    });
    for (const error of [
      refused,
      exhausted,
      leader,
      new KafkaJSRequestTimeoutError('Request Produce(key: 0) timed out'),
    ])
      expect(outcome(error)).toBe('wait');
    expect(message(exhausted)).toBe(
      'Kafka (source.kafka.brokers, or KAFKA_BROKERS) at k1.example:9092,k2.example:9092 is unreachable: connection refused',
    );
    // A wrapper of ours that classified by kafkajs' own flag is overruled.
    const wrapped = new CdcError('KAFKA_UNAVAILABLE', 'sending 4 records failed', {
      retriable: false,
      cause: exhausted,
    });
    expect(outcome(wrapped)).toBe('wait');
  });

  it('needs an operator when Kafka refuses the source', () => {
    const denied = protocolError({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
      message: 'Not authorized to access topics',
    });
    expect(outcome(exhaustedRetries(denied))).toBe('exit 75');
  });

  it('waits for the schema registry, whose client reports a refused connection as HTTP 400', () => {
    const refused = Object.assign(
      new Error('Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 10.0.0.3:8081'),
      { name: 'ResponseError', status: 400 },
    );
    const wrapped = new CdcError('SCHEMA_REGISTRY', `registering t-value failed: ${refused.message}`, {
      retriable: false,
      cause: refused,
    });
    expect(outcome(wrapped)).toBe('wait');
    expect(message(wrapped)).toMatch(
      /^the schema registry \(source\.registry\.url, or SCHEMA_REGISTRY_URL\) .* is unreachable: connection refused$/u,
    );
    const unavailable = Object.assign(new Error('Service Unavailable'), {
      name: 'ResponseError',
      status: 503,
    });
    expect(outcome(unavailable)).toBe('wait');
    const forbidden = Object.assign(new Error('Forbidden'), { name: 'ResponseError', status: 403 });
    expect(outcome(forbidden)).toBe('exit 75');
  });

  it('keeps what our own steps classified: retriable ones wait, the rest needs an operator or is final', () => {
    const busy = new CdcError('PREFLIGHT_FAILED', 'all WAL senders are busy', {
      retriable: true,
      fix: 'wait',
    });
    expect(classify(busy)).toBe(busy);
    const notReady = new CdcError('PREFLIGHT_FAILED', 'wal_level is replica', { fix: 'ALTER SYSTEM ...' });
    const upgraded = classify(notReady) as NeedsOperatorError;
    expect(upgraded).toBeInstanceOf(NeedsOperatorError);
    expect([upgraded.code, upgraded.message, upgraded.fix]).toEqual([
      'PREFLIGHT_FAILED',
      'wal_level is replica',
      'ALTER SYSTEM ...',
    ]);
    const incompatible = new CdcError('INCOMPATIBLE_SCHEMA_CHANGE', 'not BACKWARD compatible', {
      fix: 'revert it',
    });
    expect(outcome(incompatible)).toBe('exit 75');
    // A slot that exists where a snapshot needs a new one: the wrapper's own words and fix win.
    const exists = new CdcError('SLOT_CREATE_FAILED', 'could not create slot s', {
      fix: 'drop the slot',
      cause: serverError('42710', 'replication slot "s" already exists'),
    });
    expect((classify(exists) as NeedsOperatorError).fix).toBe('drop the slot');
  });

  it('ends with exit code 1 for the pipeline file and for errors it does not know', () => {
    expect(
      outcome(new CdcError('INVALID_CONFIG', 'invalid source configuration', { fix: 'correct it' })),
    ).toBe('exit 1');
    expect(outcome(new CdcError('PGOUTPUT_ORDER', 'no schema for relation 16384'))).toBe('exit 1');
    expect(outcome(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe('exit 1');
  });
});
