import type { SourceConfig } from './config.ts';
import type { ShapeSettings } from './key-columns.ts';
import { SnapshotReader } from './snapshot/table-reader.ts';
import type { ColumnValue } from './types/column-kind.ts';
import { decodeText } from './types/decode-text.ts';

export interface TableRow {
  /** The message key columns (key-columns.ts): what the source keys this row's events by. */
  readonly key: Readonly<Record<string, ColumnValue>>;
  /** Every column, decoded exactly as the source puts it into Avro. */
  readonly row: Readonly<Record<string, ColumnValue>>;
}

/**
 * Every row of a table as the source would send it (same session settings, same decoding, same
 * message key), read in chunks inside one snapshot, for comparing a sink with its source table
 * (`cdc sink verify`).
 */
export async function* readTableRows(
  source: ShapeSettings & Pick<SourceConfig, 'database'>,
  schema: string,
  table: string,
  chunkRows = 5000,
): AsyncGenerator<TableRow> {
  const reader = await SnapshotReader.open(source.database.url, undefined, source);
  try {
    const snapshotTable = await reader.table(schema, table);
    const columns = snapshotTable.shape.columns;
    for await (const chunk of reader.rows(snapshotTable, chunkRows)) {
      for (const text of chunk) {
        const row: Record<string, ColumnValue> = {};
        const key: Record<string, ColumnValue> = {};
        columns.forEach((column, i) => {
          const value = text[i];
          row[column.name] = value === null || value === undefined ? null : decodeText(column.kind, value);
          if (column.isKey) key[column.name] = row[column.name] as ColumnValue;
        });
        yield { key, row };
      }
    }
  } finally {
    await reader.close();
  }
}
