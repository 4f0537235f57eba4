#!/usr/bin/env node
/**
 * Runs one emulator until SIGTERM/SIGINT: `node services/emulators/src/main.ts <notion|calendar> --port N [--host H]`.
 * The local stack launches it; it prints one line with its URL once it listens.
 */
import { parseArgs } from 'node:util';
import type { RunningEmulator } from './control/index.ts';

const USAGE = `usage: main.ts <notion|calendar> --port N [--host 127.0.0.1]

Runs the Notion API (2025-09-03) or Google Calendar API v3 emulator until SIGTERM/SIGINT.
  --port N    port to listen on (0 picks a free one)
  --host H    address to listen on (default 127.0.0.1)
  --help      show this help`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean' } },
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [kind, ...rest] = positionals;
  if (kind !== 'notion' && kind !== 'calendar')
    fail(`unknown emulator ${JSON.stringify(kind ?? '')}: use notion or calendar`);
  if (rest.length > 0) fail(`unexpected arguments: ${rest.join(' ')}`);
  if (values.port === undefined) fail('--port is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port should be an integer from 0 to 65535, not ${values.port}`);
  const host = values.host ?? '127.0.0.1';

  const { startNotionEmulator, startCalendarEmulator } = await import('./index.ts');
  const emulator: RunningEmulator =
    kind === 'notion'
      ? await startNotionEmulator({ port, host })
      : await startCalendarEmulator({ port, host });
  console.log(`${kind} emulator listening on ${emulator.url}`);

  const stop = (signal: string) => {
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${kind} emulator: could not close cleanly on ${signal}: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`emulator failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
