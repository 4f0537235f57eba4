import pg from 'pg';
import { CdcError, errorMessage } from '@cdc/core';
import { describeConfig, loadSourceConfig, preflight } from '@cdc/source-postgres';

/**
 * `cdc source check`: loads the config, connects and runs the preflight, printing what the
 * source would capture or every problem with its fix. Returns the exit code.
 */
export async function checkSource(file: string | undefined): Promise<number> {
  const config = await loadSourceConfig(file);
  console.log(`Source config${file ? ` from ${file}` : ' (defaults and environment)'}:`);
  console.log(indent(describeConfig(config)));
  const client = new pg.Client({ connectionString: config.database.url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CdcError('DATABASE_UNREACHABLE', `cannot connect to the database: ${errorMessage(error)}`, {
      retriable: true,
      fix: 'check database.url (or CDC_PG_URL) and that PostgreSQL is running (npm run stack:status)',
      cause: error,
    });
  }
  try {
    const report = await preflight(client, config);
    console.log(
      `\nPostgreSQL ${report.serverVersion}, database ${report.database}, role ${report.role}: ready.`,
    );
    for (const table of report.tables) {
      const key = table.keyColumns.length > 0 ? `key (${table.keyColumns.join(', ')})` : 'no key';
      console.log(`  ${table.schema}.${table.name}: ${key}, replica identity ${table.replicaIdentity}`);
    }
    const exists = (thing: { exists: boolean }) => (thing.exists ? 'exists' : 'will be created');
    console.log(`  publication ${report.publication.name}: ${exists(report.publication)}`);
    console.log(`  slot ${report.slot.name}: ${exists(report.slot)}`);
    return 0;
  } finally {
    await client.end();
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
