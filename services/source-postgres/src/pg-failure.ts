import { CdcError, NeedsOperatorError, networkProblem } from '@cdc/core';

/**
 * node-postgres failures in the pipeline file's words, decided in one place (as kafkaFailure does
 * for Kafka): a server that is away, restarting or full is waited for (DATABASE_UNAVAILABLE,
 * retriable); a server that refuses us (credentials, privileges, a missing database or object)
 * needs an operator (NeedsOperatorError: exit 75, since a restart after the fix succeeds).
 * SQLSTATEs: https://www.postgresql.org/docs/15/errcodes-appendix.html
 */

/** Server errors that pass by themselves, worded to follow the server's name. */
const WAITABLE_SQLSTATES: Readonly<Record<string, string>> = {
  '57P01': 'is shutting down (administrator command, SQLSTATE 57P01)',
  '57P02': 'is restarting after a crash (SQLSTATE 57P02)',
  '57P03': 'is starting up (SQLSTATE 57P03)',
  '57014': 'cancelled a statement (SQLSTATE 57014)',
  '53300': 'has no connection left (too many connections, SQLSTATE 53300)',
  '40001': 'aborted a transaction in conflict with another (SQLSTATE 40001)',
  '40P01': 'aborted a transaction in a deadlock (SQLSTATE 40P01)',
  '55P03': 'could not take a lock in time (SQLSTATE 55P03)',
};

// 55006 object_in_use: for us, the slot still held by the walsender of a connection that died
// (PostgreSQL notices the dead peer a moment later); class 08: the connection failed; class 53:
// out of disk or memory, which frees up. 53400 (configuration limit, e.g. every slot taken) is
// not waitable: a setting must change.
function waitable(sqlstate: string, message: string): string | undefined {
  const known = WAITABLE_SQLSTATES[sqlstate];
  if (known) return known;
  if (sqlstate === '55006') return `still uses an object we need: ${message} (SQLSTATE 55006)`;
  if (sqlstate.startsWith('08')) return `lost the connection: ${message} (SQLSTATE ${sqlstate})`;
  if (sqlstate.startsWith('53') && sqlstate !== '53400')
    return `is out of resources: ${message} (SQLSTATE ${sqlstate})`;
  return undefined;
}

/** What to do when the server refuses: by SQLSTATE, then by class. */
function fixFor(sqlstate: string): string {
  if (sqlstate.startsWith('28'))
    return "check the role and password in source.database.url (or CDC_PG_URL) and the server's pg_hba.conf";
  if (sqlstate === '42501')
    return 'grant the role in source.database.url the privilege named above (cdc source check lists everything the source needs)';
  if (sqlstate === '3D000' || sqlstate === '57P04')
    return 'create the database, or correct its name in source.database.url';
  return "PostgreSQL's message above names the problem; cdc source check lists what the source needs and how to fix it";
}

// node-postgres reports a lost or timed-out connection as a plain Error, without a code.
const CONNECTION_MESSAGES: readonly (readonly [RegExp, string])[] = [
  [/Connection terminated unexpectedly/iu, 'closed the connection unexpectedly'],
  [
    /Connection terminated due to connection timeout|timeout expired/iu,
    'did not answer in time (connection timeout)',
  ],
  [/Query read timeout/iu, 'did not answer in time (query timeout)'],
  [/Connection terminated/iu, 'closed the connection'],
  [/is not queryable/iu, 'lost the connection'],
];

interface PgLink {
  readonly code?: unknown;
  readonly severity?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
}

/** The error and its causes, outermost first. */
function* links(error: unknown): Generator<PgLink> {
  const seen = new Set<unknown>();
  for (let link = error; link !== null && typeof link === 'object' && !seen.has(link);) {
    seen.add(link);
    yield link;
    link = (link as PgLink).cause;
  }
}

/** A server error (DatabaseError): a five-character SQLSTATE and a severity. */
function sqlstateOf(link: PgLink): string | undefined {
  const { code, severity } = link;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/u.test(code) && typeof severity === 'string'
    ? code
    : undefined;
}

/**
 * What a node-postgres failure means, as a CdcError naming `postgres` (the server as the pipeline
 * file gives it; see sourceEndpoints); `doing` says what was attempted. Undefined when the error
 * is none of PostgreSQL's, or one no server explains (a bug).
 */
export function pgFailure(postgres: string, error: unknown, doing?: string): CdcError | undefined {
  const what = doing ? ` (${doing})` : '';
  for (const link of links(error)) {
    const sqlstate = sqlstateOf(link);
    if (sqlstate === undefined) continue;
    const message = String(link.message);
    const wait = waitable(sqlstate, message);
    if (wait) return unavailable(`${postgres} ${wait}${what}`, error);
    return new NeedsOperatorError(
      'DATABASE_REFUSED',
      `${postgres} refused${what}: ${message} (SQLSTATE ${sqlstate})`,
      {
        fix: fixFor(sqlstate),
        details: { sqlstate },
        cause: error,
      },
    );
  }
  const network = networkProblem(error);
  if (network) return unavailable(`${postgres} is unreachable: ${network}${what}`, error);
  for (const link of links(error)) {
    if (typeof link.message !== 'string') continue;
    const lost = CONNECTION_MESSAGES.find(([pattern]) => pattern.test(link.message as string));
    if (lost) return unavailable(`${postgres} ${lost[1]}${what}`, error);
  }
  return undefined;
}

function unavailable(message: string, cause: unknown): CdcError {
  return new CdcError('DATABASE_UNAVAILABLE', message, {
    retriable: true,
    fix: 'check that PostgreSQL is running and reachable (npm run stack:status); the source reconnects by itself',
    cause,
  });
}
