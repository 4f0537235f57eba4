import type { Client } from 'pg';
import type { LogicalReplicationService } from 'pg-logical-replication';
import { decodePgoutput } from './decode.ts';
import { bigIntToLsn, lsnToBigInt, type PgoutputMessage } from './messages.ts';

// The package does not export AbstractPlugin from its root; this is the same type, reached
// through the public API so that a drift in its shape fails the type check here.
type ServicePlugin = Parameters<LogicalReplicationService['subscribe']>[0];

export interface RawPgoutputOptions {
  publicationNames: readonly string[];
}

// Quoted so that names keep their case and any character: pgoutput splits publication_names
// like a list of SQL identifiers, downcasing unquoted ones.
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

// The replication grammar's string literal knows only '' as an escape, never backslashes.
function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * pgoutput for LogicalReplicationService, but decoding to raw text values and an explicit
 * UNCHANGED marker instead of the library's type-parsed values.
 */
export class RawPgoutputPlugin implements ServicePlugin {
  readonly options: RawPgoutputOptions;

  constructor(options: RawPgoutputOptions) {
    if (options.publicationNames.length === 0) throw new Error('RawPgoutputPlugin: no publication names');
    this.options = options;
  }

  get name(): string {
    return 'pgoutput';
  }

  parse(buffer: Buffer): PgoutputMessage {
    return decodePgoutput(buffer);
  }

  start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    // Round-tripping validates the LSN, which goes into the command unquoted.
    const lsn = bigIntToLsn(lsnToBigInt(lastLsn));
    const publications = this.options.publicationNames.map(quoteIdent).join(',');
    const options = `proto_version '1', publication_names ${quoteLiteral(publications)}, messages 'true'`;
    return client.query(`START_REPLICATION SLOT ${quoteIdent(slotName)} LOGICAL ${lsn} (${options})`);
  }
}
