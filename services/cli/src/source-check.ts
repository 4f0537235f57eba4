import { connectToSource, preflight, type PreflightReport, type PreflightTable } from '@cdc/source-postgres';
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
      console.log(
        `  ${table.schema}.${table.name}: ${describeKey(table)}, replica identity ${table.replicaIdentity}`,
      );
    }
    const exists = (thing: { exists: boolean }) => (thing.exists ? 'exists' : 'will be created');
    console.log(`  publication ${report.publication.name}: ${exists(report.publication)}`);
    console.log(`  slot ${report.slot.name}: ${exists(report.slot)}`);
    for (const line of warningLines(report)) console.log(line);
    return 0;
  } finally {
    await client.end();
  }
}

/** What keys the table's events: its primary key, its declared key columns, or the whole row. */
function describeKey(table: PreflightTable): string {
  if (table.keyColumns.length > 0) return `key (${table.keyColumns.join(', ')})`;
  if (table.declaredKeyColumns) return `no primary key, keyed by (${table.declaredKeyColumns.join(', ')})`;
  return 'no primary key, keyed by the whole row';
}

/** The preflight's warnings, each with its fix: they do not stop the source. */
export function warningLines(report: Pick<PreflightReport, 'warnings'>): string[] {
  return report.warnings.map((warning) => `warning: ${warning.message}\n  fix: ${warning.fix}`);
}
