import { connectToSource, preflight } from '@cdc/source-postgres';
import { loadAndShowSourceConfig } from './source-config.ts';

/**
 * `cdc source check`: loads the config, connects and runs the preflight, printing what the
 * source would capture or every problem with its fix. Returns the exit code.
 */
export async function checkSource(file: string | undefined): Promise<number> {
  const config = await loadAndShowSourceConfig(file);
  const client = await connectToSource(config);
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
