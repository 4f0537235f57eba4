import { CdcError, isVerifiable, verifyRows, type VerifyReport } from '@cdc/core';
import { connectionsOf, findSink, loadPipelineConfig, type PipelineConfig } from '@cdc/pipeline';
import { createSink, sinkKind } from '@cdc/sinks';
import { readTableRows } from '@cdc/source-postgres';

/** The source table whose change topic a sink reads: `<source name>.<schema>.<table>`. */
export function tableOfTopic(config: PipelineConfig, topic: string): { schema: string; name: string } {
  const prefix = `${config.source?.name ?? 'cdc'}.`;
  const rest = topic.startsWith(prefix) ? topic.slice(prefix.length).split('.') : [];
  if (rest.length !== 2 || !rest[0] || !rest[1]) {
    throw new CdcError(
      'NOT_VERIFIABLE',
      `topic ${topic} is not a table's change topic (${prefix}<schema>.<table>)`,
      {
        fix: 'verify compares a table with a sink that reads its change topic; topics derived by processors hold transformed rows',
      },
    );
  }
  return { schema: rest[0], name: rest[1] };
}

/**
 * `cdc sink verify <name>`: compares each source table the sink reads with what the sink holds
 * (counts and per-row hashes, in one snapshot of the database) and lists the differences.
 * Exit code 0 when there are none, 1 otherwise.
 */
export async function verifySinkCommand(
  file: string,
  name: string,
  options: { json?: boolean },
): Promise<number> {
  const config = await loadPipelineConfig(file);
  const sinkConfig = findSink(config, name);
  if (!config.source) {
    throw new CdcError(
      'NOT_VERIFIABLE',
      `${file} has no source: section, so there is no table to compare with`,
      {
        fix: 'add the source: section of the pipeline the sink belongs to',
      },
    );
  }
  const kind = sinkKind(sinkConfig.kind);
  const sink = kind.verifiable ? createSink(sinkConfig, connectionsOf(config)) : undefined;
  if (!sink || !isVerifiable(sink)) {
    throw new CdcError('NOT_VERIFIABLE', `sink ${name} (${sinkConfig.kind}) cannot list what it holds`, {
      fix: `${kind.title} cannot be read back, so verify cannot compare it; check the receiving side, or the sink's counters and dead letters (cdc dlq list <topic>.dlq)`,
    });
  }
  await sink.start();
  const reports: Array<{ table: string; report: VerifyReport }> = [];
  try {
    for (const topic of sinkConfig.topics) {
      const table = tableOfTopic(config, topic);
      const rows = readTableRows(config.source, table.schema, table.name);
      reports.push({ table: `${table.schema}.${table.name}`, report: await verifyRows(rows, sink, table) });
    }
  } finally {
    await sink.close();
  }
  const differences = reports.reduce((sum, r) => sum + r.report.differences, 0);
  if (options.json) {
    console.log(JSON.stringify({ sink: name, differences, tables: reports }, null, 2));
  } else {
    for (const { table, report } of reports) {
      console.log(
        `${table}: ${report.sourceRows} rows in the table, ${report.sinkRows} in ${name}: ${report.differences} differences`,
      );
      for (const key of report.missing) console.log(`  missing in the sink: ${key}`);
      for (const key of report.extra) console.log(`  only in the sink:    ${key}`);
      for (const { key, fields } of report.different)
        console.log(`  different:           ${key} (${fields.join(', ')})`);
    }
    console.log(differences === 0 ? 'verify: no differences' : `verify: ${differences} differences`);
  }
  return differences === 0 ? 0 : 1;
}
