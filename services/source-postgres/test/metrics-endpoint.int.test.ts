import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate, sampleValue, scrapeMetrics, waitFor } from '@cdc/testkit';
import { parseSourceConfig, type SourceConfig } from '../src/config.ts';
import { runSource, type SourceHandle } from '../src/service.ts';

// What a running source says on /metrics of its health server, scraped over HTTP: the catalog's
// source series (core/src/metrics/catalog.ts), snapshot then stream, with its labels.

const iso = isolate('source_metrics');
let sql: pg.Client;
let config: SourceConfig;
let source: SourceHandle | undefined;

beforeAll(async () => {
  const url = await iso.postgresUrl();
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
  await sql.query(`create table patients (id int primary key, name text)`);
  await sql.query(`insert into patients select i, 'patient ' || i from generate_series(1, 50) i`);
  await sql.query(`analyze patients`); // the estimate the snapshot's progress is measured against
  config = parseSourceConfig(
    {
      name: iso.id,
      tables: ['public.patients'],
      database: { url },
      heartbeat: { interval_ms: 200 },
    },
    iso.env,
  );
});

afterAll(async () => {
  await source?.stop();
  await sql.query(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`,
    [config.slot],
  );
  await sql.end();
});

describe('source /metrics', () => {
  it('exports the snapshot, the stream, the slot and the heartbeat, labelled with its stage, kind and name', async () => {
    source = await runSource(config, { healthPort: 0 });
    const handle = source;
    await waitFor('streaming', async () => (await handle.status()).phase === 'streaming', 60_000);
    await sql.query(`insert into patients values (51, 'new'), (52, 'newer')`);
    await sql.query(`update patients set name = 'renamed' where id = 1`);
    await waitFor('the changes sent and a heartbeat back', async () => {
      const { counters } = await handle.status();
      return (counters?.eventsSent ?? 0) >= 3 && (counters?.heartbeatsAcknowledged ?? 0) >= 1;
    });

    const samples = await scrapeMetrics(handle.healthPort!);
    const service = { stage: 'source', kind: 'postgres', service: iso.id };
    const slot = { ...service, slot: config.slot };
    expect(sampleValue(samples, 'cdc_events_in_total', service)).toBe(3);
    // 50 snapshot rows and 3 changes, all acknowledged by Kafka.
    expect(sampleValue(samples, 'cdc_events_out_total', { ...service, outcome: 'sent' })).toBe(53);
    expect(sampleValue(samples, 'cdc_batch_size_records_sum', service)).toBe(53);
    expect(sampleValue(samples, 'cdc_batch_duration_seconds_count', service)).toBe(
      sampleValue(samples, 'cdc_batch_size_records_count', service),
    );
    expect(
      sampleValue(samples, 'cdc_source_snapshot_rows_total', { ...service, table: 'public.patients' }),
    ).toBe(50);
    expect(
      sampleValue(samples, 'cdc_job_progress_ratio', { ...service, task: 'snapshot public.patients' }),
    ).toBe(1);
    expect(sampleValue(samples, 'cdc_source_slot_lag_bytes', slot)).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'cdc_source_wal_retained_bytes', slot)).toBeGreaterThan(0);
    expect(sampleValue(samples, 'cdc_source_processing_lag_seconds', service)).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'cdc_source_heartbeat_age_seconds', service)).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'cdc_ready', service)).toBe(1);
    expect(sampleValue(samples, 'cdc_retries_total', service)).toBe(0);
  });
});
