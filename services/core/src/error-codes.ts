/**
 * Every error code of the project, with what it means, whether trying again can help and what
 * the operator does about it. `CdcError` accepts only these codes and takes its `retriable` and
 * `fix` from here when the call site does not say; a call site's own fix (naming the table, the
 * slot, the setting) wins. docs/error-codes.md is generated from this table
 * (`npm run config:generate`), and error-codes.test.ts checks it against the call sites.
 *
 * Codes are part of the interface: /status counts failures by code, logs print them, and some
 * of a processor's dead letters carry them (lower-cased) as the rule. Add codes; do not rename
 * them.
 */
export interface ErrorCodeSpec {
  readonly area: ErrorArea;
  /**
   * Whether waiting and trying again can help: a retriable failure is waited out with back-off
   * (a server still starting, a broker restarting). The default of `CdcError.retriable`.
   */
  readonly retriable: boolean;
  /**
   * Set when call sites decide `retriable` from what happened (an HTTP status, an SQLSTATE): when
   * they make it true. `retriable` is then what they decide when the constructor is not told.
   */
  readonly retriableWhen?: string;
  /**
   * Only an operator can cure it (a credential, a privilege, a server setting): it is raised as
   * (or, in the source, turned into) a NeedsOperatorError, the service stops with the fix, and
   * the CLI exits 75 because a restart after the fix succeeds.
   */
  readonly needsOperator?: true;
  /** What happened, in a sentence. */
  readonly summary: string;
  /** The operator's fix where one fits every occurrence; the default of `CdcError.fix`. */
  readonly fix?: string;
}

export const ERROR_AREAS = {
  config: 'Pipeline file and command line',
  stack: 'Local stack (cdc stack)',
  database: 'PostgreSQL source',
  capture: 'Rows and schemas of captured tables',
  kafka: 'Kafka',
  operations: 'Replay and dead letters (cdc sink replay, cdc dlq)',
  registry: 'Schema registry',
  processor: 'Processors',
  sinks: 'Sinks',
  http: 'HTTP targets',
} as const;

export type ErrorArea = keyof typeof ERROR_AREAS;

const BUG = 'report it as a bug, with the log lines before it';

export const ERROR_CODES = {
  // The pipeline file and the command line: wrong until someone edits them.
  INVALID_CONFIG: {
    area: 'config',
    retriable: false,
    summary: 'The pipeline file (or a setting it names, such as an environment variable) is invalid.',
    fix: 'correct the settings listed above; the reference is docs/pipeline-config.md',
  },
  INVALID_ARGUMENT: {
    area: 'config',
    retriable: false,
    summary: 'A command-line argument has a value the command does not accept.',
    fix: 'correct the argument (cdc <command> --help lists them)',
  },
  OPTION_NOT_APPLICABLE: {
    area: 'config',
    retriable: false,
    summary: 'A command-line option was given to a service it does not apply to.',
    fix: 'leave the option out (cdc <command> --help says where each applies)',
  },
  UNKNOWN_PROCESSOR: {
    area: 'config',
    retriable: false,
    summary: 'No processor of that name is declared in the pipeline file.',
    fix: 'use the name of a processor declared under processors: in the pipeline file',
  },
  UNKNOWN_SINK: {
    area: 'config',
    retriable: false,
    summary: 'No sink of that name is declared in the pipeline file.',
    fix: 'use the name of a sink declared under sinks: in the pipeline file',
  },
  UNKNOWN_SERVICE: {
    area: 'config',
    retriable: false,
    summary: 'No source, processor or sink of that name is declared in the pipeline file.',
    fix: 'use source, or the name of a processor or sink declared in the pipeline file',
  },
  UNKNOWN_TABLE: {
    area: 'config',
    retriable: false,
    summary: 'The command names a table that the pipeline’s source does not capture.',
    fix: 'name a table of source.tables in the pipeline file, as schema.table',
  },
  AMBIGUOUS_SERVICE: {
    area: 'config',
    retriable: false,
    summary: 'The name is both a processor and a sink.',
    fix: 'run it by kind: cdc processor run <name>, or cdc sink run <name>',
  },
  KEY_COLUMN_UNKNOWN: {
    area: 'config',
    retriable: false,
    summary: 'source.keyless.key_columns names a column the table does not have (or does not capture).',
    fix: 'correct source.keyless.key_columns to captured columns of the table (names are case-sensitive)',
  },
  INVALID_EXPRESSION: {
    area: 'config',
    retriable: false,
    summary: 'A rule or compute expression does not parse.',
    fix: 'correct the expression at the column the message names',
  },
  HEALTH_PORT: {
    area: 'config',
    retriable: false,
    summary: 'The health server cannot listen on the port given with --health-port.',
    fix: 'choose another --health-port (0 picks a free one)',
  },
  NOT_VERIFIABLE: {
    area: 'config',
    retriable: false,
    summary: 'cdc sink verify cannot compare this sink with its table.',
    fix: 'verify a sink of a kind that can list what it holds, reading a table’s change topic, with a source: section in the pipeline file',
  },
  SECRET_UNREADABLE: {
    area: 'config',
    retriable: false,
    summary: 'A secret the pipeline file names (an environment variable or a file) cannot be read.',
    fix: 'set the environment variable, or make the file readable by the service',
  },

  // The local stack of servers for development and tests.
  PREREQUISITE_MISSING: {
    area: 'stack',
    retriable: false,
    summary: 'A program or package the local stack needs is not installed.',
    fix: 'install what the message names, then run cdc stack up again',
  },
  PROGRAM_MISSING: {
    area: 'stack',
    retriable: false,
    summary: 'A program the stack runs is not installed or not on PATH.',
    fix: 'install the program the message names, or put it on PATH',
  },
  COMMAND_FAILED: {
    area: 'stack',
    retriable: false,
    summary: 'A command the stack ran exited with an error.',
    fix: 'read the output of the command (its last lines are shown), fix the cause and run cdc stack up again',
  },
  PORT_IN_USE: {
    area: 'stack',
    retriable: false,
    summary: 'A port the stack wants for a server is used by another program.',
    fix: 'stop that program, or choose another port with the CDC_STACK_*_PORT variable the message names',
  },
  NOT_RUNNING: {
    area: 'stack',
    retriable: false,
    summary: 'The server is not running from this stack, so it cannot be killed or crashed.',
    fix: 'bring the stack up first (npm run stack:up); only servers it started can be stopped this way',
  },
  SERVER_EXITED: {
    area: 'stack',
    retriable: false,
    summary: 'A server of the stack exited while starting.',
    fix: 'read the server’s log file (its last lines are shown)',
  },
  SERVER_UNHEALTHY: {
    area: 'stack',
    retriable: true,
    summary: 'A server of the stack did not become healthy in time.',
    fix: 'read the server’s log file (its last lines are shown); on a loaded machine, run cdc stack up again',
  },
  STACK_IN_USE: {
    area: 'stack',
    retriable: false,
    summary: 'Servers this stack did not start answer on its ports, so it does not delete data.',
    fix: 'stop the servers of the other checkout (or docker compose) first',
  },
  STACK_START_FAILED: {
    area: 'stack',
    retriable: false,
    summary: 'One or more servers of the stack did not start.',
    fix: 'read the failures listed above, fix them and run cdc stack up again',
  },

  // The PostgreSQL source: connections, the preflight, publication and replication slot.
  DATABASE_UNAVAILABLE: {
    area: 'database',
    retriable: true,
    summary: 'PostgreSQL cannot be reached, is starting, shutting down or out of connections.',
    fix: 'check that PostgreSQL is running and reachable (npm run stack:status); the source reconnects by itself',
  },
  DATABASE_REFUSED: {
    area: 'database',
    retriable: false,
    needsOperator: true,
    summary: 'PostgreSQL refused the source: a password, a role, a privilege, a missing database.',
    fix: 'check source.database.url (or CDC_PG_URL) and the role’s privileges, as the SQLSTATE in the message says',
  },
  PREFLIGHT_FAILED: {
    area: 'database',
    retriable: false,
    retriableWhen: 'every problem found is one that passes by itself (all WAL senders busy)',
    needsOperator: true,
    summary: 'The database is not ready for capture (wal_level, REPLICATION, replica identity, ...).',
    fix: 'apply the fix under each problem listed, then start again (cdc source check repeats the preflight)',
  },
  SETUP_FAILED: {
    area: 'database',
    retriable: false,
    retriableWhen: 'PostgreSQL was away or busy (SQLSTATE class 08, 40, 53 or 57P)',
    needsOperator: true,
    summary: 'Creating the publication or reading the captured tables failed.',
    fix: 'run the preflight check (cdc source check): it names the cause and its fix',
  },
  PUBLICATION_MISMATCH: {
    area: 'database',
    retriable: false,
    needsOperator: true,
    summary: 'The publication exists but does not publish what source.tables asks for.',
    fix: 'alter or drop the publication as the message says, or correct source.tables',
  },
  SLOT_MISMATCH: {
    area: 'database',
    retriable: false,
    needsOperator: true,
    summary: 'The replication slot exists but is not a pgoutput slot of this database.',
    fix: 'drop the slot if nothing uses it, or name another one in source.slot',
  },
  SLOT_EXISTS: {
    area: 'database',
    retriable: false,
    needsOperator: true,
    summary: 'A snapshot needs a new replication slot, and the slot exists.',
    fix: 'let snapshot.mode decide (prepareSnapshot drops and copies again when asked to), or drop the slot',
  },
  SLOT_CREATE_FAILED: {
    area: 'database',
    retriable: false,
    retriableWhen: 'PostgreSQL was away or busy',
    needsOperator: true,
    summary: 'The replication slot could not be created.',
    fix: 'follow the cause in the message; if the slot exists and nothing uses it, drop it',
  },
  SLOT_IN_USE: {
    area: 'database',
    retriable: true,
    summary: 'The replication slot is still held by another connection (often a source that died).',
    fix: 'stop the other source reading the slot, or end its connection with pg_terminate_backend(<pid>)',
  },
  REPLICATION_ENDED: {
    area: 'database',
    retriable: true,
    summary: 'PostgreSQL ended the replication connection.',
    fix: 'none needed: the source reconnects by itself',
  },
  STREAM_STOPPED: {
    area: 'database',
    retriable: false,
    summary: 'The change stream was stopped before it started streaming.',
    fix: 'none needed: the source was told to stop',
  },
  PGOUTPUT_ORDER: {
    area: 'database',
    retriable: false,
    summary: 'The pgoutput stream sent messages in an order the protocol does not allow.',
    fix: `restart the source; it resumes from the last confirmed LSN. If it recurs, ${BUG}`,
  },

  // The tables the source captures: their Avro schemas, and each row's values.
  NO_PRIMARY_KEY: {
    area: 'capture',
    retriable: false,
    summary: 'A captured table has no primary key, and is not declared keyless.',
    fix: 'add a primary key, or capture it as a keyless table (REPLICA IDENTITY FULL and source.keyless), or stop capturing it',
  },
  SCHEMA_NAME_CLASH: {
    area: 'capture',
    retriable: false,
    summary: 'Two columns of a table become the same Avro field name.',
    fix: 'rename one of the two columns',
  },
  INCOMPATIBLE_SCHEMA_CHANGE: {
    area: 'capture',
    retriable: false,
    needsOperator: true,
    summary: 'A table changed in a way that is not BACKWARD compatible with its registered schema.',
    fix: 'revert the change, or make it compatible (add columns as nullable, keep types and the primary key)',
  },
  INVALID_VALUE: {
    area: 'capture',
    retriable: false,
    summary: 'PostgreSQL sent a value that is not valid text of its column type.',
    fix: BUG,
  },
  UNREPRESENTABLE_VALUE: {
    area: 'capture',
    retriable: false,
    summary:
      'A value is valid in PostgreSQL but its Avro type cannot carry it (NaN as a decimal, a far timestamp).',
    fix: 'change the value or the column’s type so that it fits (the message says why it does not), or stop capturing the table',
  },
  SHAPE_MISMATCH: {
    area: 'capture',
    retriable: false,
    summary: 'A row does not have the columns the table’s known shape has.',
    fix: BUG,
  },
  NULL_IN_NOT_NULL: {
    area: 'capture',
    retriable: false,
    summary: 'A key column the shape declares NOT NULL arrived as NULL.',
    fix: 'reload the table shape from the catalog: the column lost its NOT NULL constraint or its place in the key',
  },
  KEY_UNKNOWN: {
    area: 'capture',
    retriable: false,
    summary: 'PostgreSQL did not send the value of a key column.',
    fix: 'reload the table shape from the catalog (its key may be stale), or set the table to REPLICA IDENTITY FULL (it sends the old row)',
  },
  UNEXPECTED_UNCHANGED: {
    area: 'capture',
    retriable: false,
    summary: 'A new row arrived with a value marked unchanged (TOAST), which only updates may have.',
    fix: BUG,
  },
  NO_OLD_ROW: {
    area: 'capture',
    retriable: false,
    summary: 'A delete arrived without its old row or key.',
    fix: BUG,
  },
  UNCHANGED_NOT_NULL: {
    area: 'capture',
    retriable: false,
    summary: 'PostgreSQL did not send the unchanged TOAST value of a NOT NULL key column.',
    fix: 'set the table to REPLICA IDENTITY FULL (it sends the old value)',
  },
  NO_KEY_SCHEMA: {
    area: 'capture',
    retriable: false,
    summary: 'A record has a key but its topic has no key schema.',
    fix: BUG,
  },
  DEBEZIUM_KEY_COLUMN: {
    area: 'capture',
    retriable: false,
    summary: 'A message key column has a type the Debezium envelope cannot map.',
    fix: 'key the table by columns of mapped types, or leave it to the default envelope (envelope: cdc)',
  },
  DEBEZIUM_TYPE_UNSUPPORTED: {
    area: 'capture',
    retriable: false,
    summary: 'A column has a type the Debezium envelope does not map yet.',
    fix: 'leave the table to the default envelope (envelope: cdc), or change the column’s type',
  },
  DEBEZIUM_VALUE: {
    area: 'capture',
    retriable: false,
    summary: 'A value does not fit the Debezium schema of its column.',
    fix: BUG,
  },
  AVRO_NOT_CONNECT: {
    area: 'capture',
    retriable: false,
    summary: 'An Avro schema has no Kafka Connect equivalent (for the Debezium envelope).',
    fix: BUG,
  },

  // Kafka: the brokers, topics and records of every service.
  KAFKA_UNAVAILABLE: {
    area: 'kafka',
    retriable: true,
    summary: 'The Kafka brokers cannot be reached, time out, or have no leader yet.',
    fix: 'check that the Kafka brokers are up and reachable; the service waits for them',
  },
  KAFKA_REFUSED: {
    area: 'kafka',
    retriable: false,
    needsOperator: true,
    summary: 'Kafka refused the service: authentication, an ACL, a cluster setting.',
    fix: 'grant the service what the message names (credentials, ACLs), then start it again',
  },
  KAFKA_RECORD_REFUSED: {
    area: 'kafka',
    retriable: false,
    needsOperator: true,
    summary: 'Kafka refused a record the source sent (too large, or invalid for the topic).',
    fix: 'raise the topic’s or broker’s size limit above the largest row, or read the broker log for why',
  },
  TOPIC_MISSING: {
    area: 'kafka',
    retriable: true,
    summary: 'A topic the service reads does not exist yet.',
    fix: 'start the source or processor that writes it (the service waits for it), or correct the topic name',
  },
  OUTPUT_PARTITIONS: {
    area: 'kafka',
    retriable: false,
    needsOperator: true,
    summary: 'An output topic of a processor has fewer partitions than its input.',
    fix: 'add partitions to the output topic (kafka-topics.sh --alter --partitions <n>)',
  },

  // cdc sink replay and cdc dlq: commands that move consumer offsets and read topics.
  UNKNOWN_TOPIC: {
    area: 'operations',
    retriable: false,
    summary: 'The command names a topic that does not exist.',
    fix: 'check the topic names (has the service that writes them run yet?)',
  },
  GROUP_ACTIVE: {
    area: 'operations',
    retriable: false,
    summary: 'The consumer group has active members, so its offsets cannot be moved.',
    fix: 'stop every consumer of the group (the sink) first',
  },
  REWIND_UNSETTLED: {
    area: 'operations',
    retriable: true,
    summary: 'The consumer group’s offsets did not take the new values.',
    fix: 'check that nothing else commits for this group (a sink still running elsewhere?) and run the replay again',
  },
  READ_TIMEOUT: {
    area: 'operations',
    retriable: true,
    summary: 'Reading a topic stalled: no records came for a while.',
    fix: 'check that Kafka is reachable, then run the command again',
  },

  // The schema registry, and records it cannot decode (dead-lettered).
  REGISTRY_UNREACHABLE: {
    area: 'registry',
    retriable: true,
    summary: 'The schema registry cannot be reached or answers with a server error.',
    fix: 'check that the schema registry is up and reachable; the service waits for it',
  },
  REGISTRY_REFUSED: {
    area: 'registry',
    retriable: false,
    needsOperator: true,
    summary: 'The schema registry refused the service (HTTP 401 or 403).',
    fix: 'give the service credentials the registry accepts (in the registry url) and the right to read and register schemas',
  },
  SCHEMA_REGISTRY: {
    area: 'registry',
    retriable: false,
    retriableWhen: 'the registry was away or answered 5xx, 408 or 429',
    summary: 'The source could not register a table’s schema.',
    fix: `check that the schema registry is up and reachable; if it refused the schema (HTTP 4xx), ${BUG}`,
  },
  UNDECODABLE: {
    area: 'registry',
    retriable: false,
    summary: 'A record is not in the schema registry’s wire format; it goes to the dead-letter topic.',
    fix: 'read it with cdc dlq list <topic>, and find what writes records other than Avro to the topic',
  },
  UNKNOWN_SCHEMA: {
    area: 'registry',
    retriable: false,
    summary:
      'A record’s schema id is not in the registry, or not a schema we read; it goes to the dead-letter topic.',
    fix: 'read it with cdc dlq list <topic>; check that every service uses the same schema registry',
  },

  // Processors: their input, transform steps and enrichment lookups.
  NOT_A_CHANGE_EVENT: {
    area: 'processor',
    retriable: false,
    summary: 'The processor’s input topic does not hold change events.',
    fix: 'point the processor at a change-event topic (docs/contracts.md): before, after, op, source',
  },
  TRANSFORM_SCHEMA: {
    area: 'processor',
    retriable: false,
    summary: 'A transform step does not fit its input schema (a missing field, an impossible type).',
    fix: 'correct the step, or the field name, to match the input schema',
  },
  TRANSFORM_FAILED: {
    area: 'processor',
    retriable: false,
    summary: 'A transform step failed on one record; that record goes to the dead-letter topic.',
    fix: 'read it with cdc dlq list <topic>, then correct the data at its source or the step',
  },
  ENRICH_LOOKUP: {
    area: 'processor',
    retriable: true,
    summary: 'An enrichment lookup in Redis failed.',
    fix: 'check that Redis (REDIS_URL) is reachable; the batch is retried',
  },
  ENRICH_NOT_PREPARED: {
    area: 'processor',
    retriable: false,
    summary: 'An enrich step was applied to a row it had not looked up.',
    fix: BUG,
  },

  // Sinks: their targets and the sink runtime around them.
  REDIS_UNAVAILABLE: {
    area: 'sinks',
    retriable: true,
    summary: 'Redis cannot be reached, is loading, or does not answer in time.',
    fix: 'start Redis or correct its url (env REDIS_URL); the service retries with back-off',
  },
  REDIS_AUTH: {
    area: 'sinks',
    retriable: false,
    needsOperator: true,
    summary: 'Redis refused the user or password.',
    fix: 'put the right user and password in the url (redis://<user>:<password>@host:port)',
  },
  REDIS_PERMISSION: {
    area: 'sinks',
    retriable: false,
    needsOperator: true,
    summary: 'The Redis user may not run the commands the sink needs.',
    fix: 'grant the sink user the commands it runs (ACL SETUSER <user> +@read +@write +@scripting) on its keys',
  },
  REDIS_CONTENDED: {
    area: 'sinks',
    retriable: true,
    summary: 'Other writers changed the same Redis keys between read and write, again and again.',
    fix: 'make sure no other writer rewrites these keys continuously; the batch is retried',
  },
  MONGO_ACCESS_DENIED: {
    area: 'sinks',
    retriable: false,
    needsOperator: true,
    summary: 'MongoDB refused the sink’s credentials or privileges.',
    fix: 'put credentials in the sink url that the server accepts, with readWrite on the sink database',
  },
  SINK_START_FAILED: {
    area: 'sinks',
    retriable: false,
    retriableWhen: 'the target was away',
    summary: 'A sink could not prepare its target (a database, its indexes).',
    fix: 'check that the target is up, and the sink’s settings and privileges',
  },
  SINK_WRITE_FAILED: {
    area: 'sinks',
    retriable: false,
    retriableWhen: 'the target was away or busy',
    summary: 'A sink could not write a batch to its target.',
    fix: 'check that the target is up and reachable (the batch is retried), and the sink’s settings and privileges',
  },
  SINK_CIRCUIT_OPEN: {
    area: 'sinks',
    retriable: true,
    summary: 'The target kept failing, so writes pause for a while (circuit breaker open).',
    fix: 'fix what the target’s failures say; writes resume by themselves once it answers',
  },
  SINK_CONTRACT: {
    area: 'sinks',
    retriable: false,
    summary: 'A sink returned a different number of outcomes than the events it was given.',
    fix: BUG,
  },

  // HTTP targets of REST and SaaS sinks.
  HTTP_TARGET_UNAVAILABLE: {
    area: 'http',
    retriable: true,
    summary: 'The HTTP target cannot be reached, timed out, or answered 408, 425, 429 or 5xx.',
    fix: 'check that the target is up and reachable; the batch is retried (honouring Retry-After)',
  },
  HTTP_TARGET_REFUSED: {
    area: 'http',
    retriable: false,
    summary:
      'The HTTP target refused a request with another 4xx status; the record goes to the dead-letter topic with the response body.',
    fix: 'read it with cdc dlq list <topic>: the response body says what the target refused',
  },
  HTTP_TARGET_MISCONFIGURED: {
    area: 'http',
    retriable: false,
    needsOperator: true,
    summary:
      'The HTTP target refuses the sink itself (401 or 407: its credentials), or cannot be reached as configured (its TLS certificate is not trusted, a port fetch does not allow).',
    fix: 'correct the credentials or the url of the sink (or trust the certificate with NODE_EXTRA_CA_CERTS), then start it again',
  },
} as const satisfies Readonly<Record<string, ErrorCodeSpec>>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes only an operator can cure: NeedsOperatorError takes these. */
export type OperatorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends { readonly needsOperator: true } ? C : never;
}[ErrorCode];

/** The entry of a code, or undefined for a string that is not one. */
export function errorCodeSpec(code: unknown): ErrorCodeSpec | undefined {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
    ? (ERROR_CODES as Readonly<Record<string, ErrorCodeSpec>>)[code]
    : undefined;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return errorCodeSpec(code) !== undefined;
}

export function isOperatorCode(code: unknown): code is OperatorCode {
  return errorCodeSpec(code)?.needsOperator === true;
}
