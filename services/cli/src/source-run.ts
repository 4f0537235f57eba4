import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { withTelemetry } from './telemetry.ts';
import { untilSignalled } from './until-signalled.ts';
import { codeTag, errorMessage, formatDelay } from '@cdc/core';
import { describeRetry, missingSourceNodeFlags, runSource, type SourceEvent } from '@cdc/source-postgres';
import { warningLines } from './source-check.ts';
import { loadAndShowSourceConfig } from './source-config.ts';

/**
 * `cdc source run`: preflight, snapshot (per snapshot.mode), then streaming until SIGTERM or
 * SIGINT. The first signal stops gracefully (exit 0), also while the source waits to reconnect:
 * the slot only ever confirms what Kafka holds, so whatever was in flight is sent again on the
 * next start. A second signal exits 1 at once. Transient failures are waited out in process, one
 * line per retry; what needs an operator ends it with `cdc: <problem>` and `fix:` (main.ts exits
 * 75 for a NeedsOperatorError, 1 otherwise).
 */
export async function runSourceCommand(
  file: string | undefined,
  healthPort: number | undefined,
): Promise<number> {
  const flags = missingSourceNodeFlags();
  if (flags.length > 0 && process.env[RELAUNCHED] !== '1') return relaunch(flags, file, healthPort);
  if (process.env[RELAUNCHED] === '1' && process.connected) {
    // The launcher is gone (killed, even with SIGKILL): go down as hard, as a crash would.
    process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    process.channel?.unref(); // the channel alone must not keep the process running
  }
  const config = await loadAndShowSourceConfig(file);
  return withTelemetry({ stage: 'source', kind: 'postgres', service: config.name }, async (publish) => {
    const handle = await runSource(config, {
      ...(healthPort === undefined ? {} : { healthPort }),
      onEvent: print,
    });
    publish(handle.metrics);
    await untilSignalled(handle, 'stopping ...');
    return 0;
  });
}

const RELAUNCHED = 'CDC_SOURCE_RELAUNCHED';

/**
 * Runs `cdc source run` again in a child Node with the source's V8 flags (SOURCE_NODE_FLAGS: they
 * size the heap, so they must be given at launch; NODE_OPTIONS or node arguments that already set
 * them are respected). The child has a process group of its own, so a terminal's Ctrl-C reaches it
 * once, through us: SIGINT and SIGTERM are forwarded, and its exit code is ours.
 */
function relaunch(flags: readonly string[], file: string | undefined, healthPort: number | undefined) {
  const args = [
    ...flags,
    ...process.execArgv,
    process.argv[1]!,
    'source',
    'run',
    ...(file === undefined ? [] : ['--config', file]),
    ...(healthPort === undefined ? [] : ['--health-port', String(healthPort)]),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

function print(event: SourceEvent): void {
  switch (event.kind) {
    case 'health':
      console.log(`health: ${event.url}/health, /ready, /status, /metrics`);
      return;
    case 'preflight': {
      const { report } = event;
      const tables = report.tables.map((t) => `${t.schema}.${t.name}`).join(', ') || 'none yet';
      console.log(
        `preflight ok: PostgreSQL ${report.serverVersion}, database ${report.database}, role ${report.role}; tables: ${tables}`,
      );
      for (const line of warningLines(report)) console.log(line);
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
      console.log(
        event.resumed
          ? `streaming resumed after ${formatDelay(event.resumed.afterMs)} (attempt ${event.resumed.attempts})`
          : 'streaming started',
      );
      return;
    case 'interrupted':
      console.error(`streaming interrupted${codeTag(event.code)}: ${event.reason}; reconnecting`);
      return;
    case 'retrying':
      console.error(
        `waiting${codeTag(event.code)}: ${describeRetry(event.reason, event.attempt, event.delayMs)}`,
      );
      return;
    case 'heartbeat-error':
      console.error(`heartbeat failed (retrying every interval): ${errorMessage(event.error)}`);
      return;
    case 'stopped':
      console.log(event.reason === 'stopped' ? 'stopped' : `stopped: ${event.reason}`);
      return;
  }
}
