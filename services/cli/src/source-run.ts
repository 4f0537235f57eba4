import { errorMessage } from '@cdc/core';
import { runSource, type SourceEvent } from '@cdc/source-postgres';
import { loadAndShowSourceConfig } from './source-config.ts';

/**
 * `cdc source run`: preflight, snapshot (per snapshot.mode), then streaming until SIGTERM or
 * SIGINT. The first signal stops gracefully (exit 0): the slot only ever confirms what Kafka
 * holds, so whatever was in flight is sent again on the next start. A second signal exits 1 at once.
 */
export async function runSourceCommand(
  file: string | undefined,
  healthPort: number | undefined,
): Promise<number> {
  const config = await loadAndShowSourceConfig(file);
  const handle = await runSource(config, {
    ...(healthPort === undefined ? {} : { healthPort }),
    onEvent: print,
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    console.log(`${signal}: stopping ...`);
    void handle.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await handle.done;
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function print(event: SourceEvent): void {
  switch (event.kind) {
    case 'health':
      console.log(`health: ${event.url}/health, /ready, /status`);
      return;
    case 'preflight': {
      const { report } = event;
      const tables = report.tables.map((t) => `${t.schema}.${t.name}`).join(', ') || 'none yet';
      console.log(
        `preflight ok: PostgreSQL ${report.serverVersion}, database ${report.database}, role ${report.role}; tables: ${tables}`,
      );
      return;
    }
    case 'snapshot': {
      const { result } = event;
      console.log(
        result.snapshot === 'taken'
          ? `snapshot: ${result.rows ?? 0} rows at ${result.consistentPoint} (${result.reason})`
          : `snapshot: skipped (${result.reason})`,
      );
      return;
    }
    case 'streaming':
      console.log('streaming started');
      return;
    case 'heartbeat-error':
      console.error(`heartbeat failed (retrying): ${errorMessage(event.error)}`);
      return;
    case 'stopped':
      console.log(event.reason === 'stopped' ? 'stopped' : `stopped: ${event.reason}`);
      return;
  }
}
