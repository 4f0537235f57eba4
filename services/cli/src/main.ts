#!/usr/bin/env node
import { Command } from 'commander';
import { CdcError, errorMessage, formatExports, silenceKnownKafkajsWarnings } from '@cdc/core';
import { describeSettings, Stack, type ComponentStatus } from '@cdc/stack';

silenceKnownKafkajsWarnings();

const program = new Command('cdc')
  .description('Change-data-capture pipeline: PostgreSQL to Kafka (Avro) to Redis, MongoDB and more')
  .showHelpAfterError();

const stack = program
  .command('stack')
  .description(
    'run the local development stack (Kafka, schema registry, PostgreSQL, Redis, MongoDB wire) without Docker',
  )
  .addHelpText('after', `\nSettings (environment variables):\n${describeSettings()}`);

stack
  .command('up')
  .description('provision (first time), start and wait until every server is healthy; a no-op when they are')
  .action(async () => {
    const statuses = await new Stack().up();
    printStatus(statuses);
  });

stack
  .command('down')
  .description('stop the servers this stack started (data is kept)')
  .action(async () => {
    for (const { title, result } of await new Stack().down()) console.log(`${title.padEnd(40)} ${result}`);
  });

stack
  .command('status')
  .description('probe every server; exits 1 unless all are healthy')
  .option('--json', 'print machine-readable JSON')
  .action(async (options: { json?: boolean }) => {
    const statuses = await new Stack().status();
    if (options.json) console.log(JSON.stringify(statuses, null, 2));
    else printStatus(statuses);
    if (!statuses.every((s) => s.healthy)) process.exitCode = 1;
  });

stack
  .command('env')
  .description('print the connection variables as `export NAME=value` lines, for eval "$(cdc stack env)"')
  .action(() => {
    console.log(formatExports(new Stack().env()));
  });

program
  .command('start')
  .description('run the pipeline; for now: bring the local stack up and print its status')
  .action(async () => {
    const statuses = await new Stack().up();
    printStatus(statuses);
    console.log('\nConnection variables (eval "$(npm run -s stack:env)" to set them):');
    console.log(formatExports(new Stack().env()));
  });

function printStatus(statuses: ComponentStatus[]): void {
  const rows = statuses.map((s) => [
    s.healthy ? 'healthy' : 'DOWN',
    s.title,
    s.url,
    s.pid ? `pid ${s.pid}` : s.healthy ? 'not started by this stack' : '',
    s.detail,
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  const down = statuses.filter((s) => !s.healthy);
  for (const s of down) console.log(`\n${s.title} is down; its log: ${s.logFile}`);
}

try {
  await program.parseAsync();
} catch (error) {
  console.error(`cdc: ${errorMessage(error)}`);
  process.exitCode = error instanceof CdcError && error.retriable ? 75 : 1;
}
