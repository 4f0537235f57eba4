#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import {
  CdcError,
  describeInactiveSlot,
  errorMessage,
  formatExports,
  redactUrl,
  silenceKnownKafkajsWarnings,
} from '@cdc/core';
import type { ComponentStatus, Stack } from '@cdc/stack';
import { describeSettings } from '@cdc/stack/settings';
import { SINK_KINDS } from '@cdc/sinks';

/** Loaded on first use: the server clients it brings would slow down `--help` and `stack env`. */
async function loadStack(): Promise<Stack> {
  const { Stack } = await import('@cdc/stack');
  return new Stack();
}

silenceKnownKafkajsWarnings();

const program = new Command('cdc')
  .description(
    `Change-data-capture pipeline: PostgreSQL to Kafka (Avro) to ${SINK_KINDS.map((kind) => kind.title).join(', ')}`,
  )
  .showHelpAfterError();

const stackCommand = program
  .command('stack')
  .description(
    'run the local development stack (Kafka, schema registry, PostgreSQL, Redis, MongoDB wire, FHIR, the Notion and Calendar emulators, Zipkin, Prometheus, Alertmanager) without Docker',
  )
  .addHelpText('after', `\nSettings (environment variables):\n${describeSettings()}`);

stackCommand
  .command('up')
  .description('provision (first time), start and wait until every server is healthy; a no-op when they are')
  .action(async () => {
    printStatus(await (await loadStack()).up());
  });

stackCommand
  .command('down')
  .description('stop the servers this stack started (data is kept)')
  .action(async () => {
    for (const { title, result } of await (await loadStack()).down())
      console.log(`${title.padEnd(40)} ${result}`);
  });

stackCommand
  .command('clean')
  .description('stop the servers and delete their data (downloads are kept); the next up starts empty')
  .action(async () => {
    for (const dir of await (await loadStack()).clean()) console.log(`deleted ${dir}`);
  });

stackCommand
  .command('status')
  .description(
    'probe every server; exits 1 unless all are healthy. Inactive replication slots (they keep WAL) are listed as warnings, with the command that drops each',
  )
  .option('--json', 'print machine-readable JSON')
  .action(async (options: { json?: boolean }) => {
    const statuses = await (await loadStack()).status();
    if (options.json) console.log(JSON.stringify(statuses, null, 2));
    else printStatus(statuses);
    if (!statuses.every((s) => s.healthy)) process.exitCode = 1;
  });

stackCommand
  .command('env')
  .description('print the connection variables as `export NAME=value` lines, for eval "$(cdc stack env)"')
  .action(async () => {
    console.log(formatExports((await loadStack()).env()));
  });

const sourceCommand = program.command('source').description('the PostgreSQL change-data-capture source');

sourceCommand
  .command('check')
  .description(
    'load the source config and check the database: wal_level, privileges, slots, primary keys; prints every problem with its fix',
  )
  .option('-c, --config <file>', 'pipeline YAML file whose `source:` section configures the source')
  .action(async (options: { config?: string }) => {
    const { checkSource } = await import('./source-check.ts');
    process.exitCode = await checkSource(options.config);
  });

sourceCommand
  .command('run')
  .description(
    'run the source: preflight, snapshot (per snapshot.mode), then stream changes to Kafka until SIGTERM/SIGINT (graceful, exit 0; a second signal exits 1)',
  )
  .option('-c, --config <file>', 'pipeline YAML file whose `source:` section configures the source')
  .option(
    '--health-port <port>',
    'serve GET /health, /ready, /status and /metrics (Prometheus) on 127.0.0.1:<port> (0 picks a free port, printed at start); default: no health server',
    parsePort,
  )
  .action(async (options: { config?: string; healthPort?: number }) => {
    const { runSourceCommand } = await import('./source-run.ts');
    process.exitCode = await runSourceCommand(options.config, options.healthPort);
  });

/** The options of a command that runs one service of the pipeline file until a signal. */
function serviceOptions(command: Command, groupHelp: string): Command {
  return command
    .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
    .option(
      '--health-port <port>',
      'serve /health, /ready, /status and /metrics (Prometheus) on 127.0.0.1 (0: any free port)',
      parsePort,
    )
    .option('--group <id>', groupHelp);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

program
  .command('start')
  .description(
    'run the pipeline on the local stack: bring the stack up, then run the PostgreSQL source until Ctrl-C',
  )
  .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
  .option(
    '--health-port <port>',
    'serve /health, /ready, /status and /metrics (Prometheus) on 127.0.0.1 (0: any free port)',
    parsePort,
  )
  .action(async (options: { config: string; healthPort?: number }) => {
    const stack = await loadStack();
    printStatus(await stack.up());
    console.log('\nConnection variables (eval "$(npm run -s stack:env)" to set them):');
    console.log(formatExports(stack.env()));
    console.log(
      '\nStarting the PostgreSQL source; changes to captured tables go to Kafka topics <name>.<schema>.<table>.\n',
    );
    const { runSourceCommand } = await import('./source-run.ts');
    process.exitCode = await runSourceCommand(options.config, options.healthPort);
  });

program
  .command('demo')
  .description(
    'the whole pipeline on the local stack: stack up, the health-care schema, source + processors + sinks, a stream of changes with progress, then where the data landed and a verify (exit 1 on any difference)',
  )
  .option('--changes <n>', 'how many row changes to write', parseCount, 5_000)
  .option('--settle-seconds <n>', 'how long to wait for the sinks to catch up', parseCount, 180)
  .option(
    '--keep-slot',
    "keep the demo's replication slot (and its publication) when it ends; by default both are dropped, since an inactive slot keeps WAL",
  )
  .action(async (options: { changes: number; settleSeconds: number; keepSlot?: boolean }) => {
    const stack = await loadStack();
    printStatus(await stack.up());
    const { runDemo } = await import('./demo/demo.ts');
    process.exitCode = await runDemo(options);
  });

const runCommand = program
  .command('run')
  .description(
    'run one service of the pipeline file until SIGTERM/SIGINT, one process per service in production: `source`, or a processor or sink by name (as cdc source run, cdc processor run <name>, cdc sink run <name>)',
  )
  .argument(
    '<service>',
    "'source' (always the source), or the name of a processor or a sink in the pipeline file",
  );
serviceOptions(
  runCommand,
  'consumer group of a processor or sink (default: its own); instances sharing it split the partitions',
).action(async (service: string, options: { config: string; healthPort?: number; group?: string }) => {
  const { runServiceCommand } = await import('./service-run.ts');
  process.exitCode = await runServiceCommand(options.config, service, options);
});

const processorCommand = program
  .command('processor')
  .description(
    'stateless processors (validators, transformers) declared under processors: in the pipeline file',
  );

const processorRunCommand = processorCommand
  .command('run')
  .description(
    'run one processor until SIGTERM/SIGINT (the batch in hand is finished and committed; a second signal exits 1)',
  )
  .argument('<name>', "the processor's name in the pipeline file");
serviceOptions(
  processorRunCommand,
  'consumer group (default: the processor name); instances sharing it split the partitions',
).action(async (name: string, options: { config: string; healthPort?: number; group?: string }) => {
  const { runProcessorCommand } = await import('./processor-run.ts');
  process.exitCode = await runProcessorCommand(options.config, name, options);
});

const sinkCommand = program
  .command('sink')
  .description(
    `sinks (${SINK_KINDS.map((kind) => `${kind.kind}: ${kind.title}`).join(', ')}) declared under sinks: in the pipeline file`,
  );

const sinkRunCommand = sinkCommand
  .command('run')
  .description(
    'run one sink until SIGTERM/SIGINT (the batch in hand is finished or left uncommitted; a second signal exits 1)',
  )
  .argument('<name>', "the sink's name in the pipeline file");
serviceOptions(
  sinkRunCommand,
  'consumer group (default: cdc-sink.<name>); instances sharing it split the partitions',
).action(async (name: string, options: { config: string; healthPort?: number; group?: string }) => {
  const { runSinkCommand } = await import('./sink-run.ts');
  process.exitCode = await runSinkCommand(options.config, name, options);
});

sinkCommand
  .command('verify')
  .description(
    'compare each source table the sink reads with what the sink holds (counts and per-row hashes); exits 1 when they differ',
  )
  .argument('<name>', "the sink's name in the pipeline file")
  .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
  .option('--json', 'print machine-readable JSON')
  .action(async (name: string, options: { config: string; json?: boolean }) => {
    const { verifySinkCommand } = await import('./sink-verify.ts');
    process.exitCode = await verifySinkCommand(options.config, name, options);
  });

const configCommand = program.command('config').description('the pipeline file (connectors/*.yaml)');

configCommand
  .command('check')
  .description(
    'validate the whole pipeline file: every problem with its path, line and a hint; prints the defaults',
  )
  .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
  .action(async (options: { config: string }) => {
    const { checkConfigCommand } = await import('./config-check.ts');
    process.exitCode = await checkConfigCommand(options.config);
  });

sinkCommand
  .command('replay')
  .description(
    "rewind the sink's consumer group (cdc-sink.<name>), then run the sink here until it has caught up and stop it; the sink must not be running elsewhere",
  )
  .argument('<name>', "the sink's name in the pipeline file")
  .option('--from <where>', 'beginning, an offset (on every partition) or an ISO 8601 time', 'beginning')
  .option('--no-run', 'only move the offsets; print them and how to start the sink')
  .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
  .action(async (name: string, options: { from: string; run: boolean; config: string }) => {
    const { replaySinkCommand } = await import('./sink-replay.ts');
    process.exitCode = await replaySinkCommand(options.config, name, options);
  });

const dlqCommand = program
  .command('dlq')
  .description('dead letters: records a processor or sink refused, in <topic>.dlq with the reasons');

dlqCommand
  .command('list')
  .description(
    'print the dead letters of a topic from its beginning: origin, processor, rules, fields, messages',
  )
  .argument('<topic>', 'the topic whose dead letters to read, with or without the .dlq suffix')
  .option('--limit <n>', 'print at most n dead letters', parseCount)
  .option('--json', 'print machine-readable JSON')
  .option('-c, --config <file>', 'pipeline YAML file (for the Kafka address)', 'connectors/example.yaml')
  .action(async (topic: string, options: { limit?: number; json?: boolean; config: string }) => {
    const { listDeadLettersCommand } = await import('./dlq.ts');
    process.exitCode = await listDeadLettersCommand(options.config, topic, options);
  });

dlqCommand
  .command('redrive')
  .description(
    'publish dead letters again (original key, value and headers) to the topic they came from, after fixing the cause; every consumer of that topic sees them again',
  )
  .argument('<topic>', 'the topic whose dead letters to redrive, with or without the .dlq suffix')
  .option('--dry-run', 'count what would be redriven; publish nothing')
  .option('--rule <rule>', 'only dead letters refused by this rule (e.g. format, required, decode, sink)')
  .option('-c, --config <file>', 'pipeline YAML file (for the Kafka address)', 'connectors/example.yaml')
  .action(async (topic: string, options: { dryRun?: boolean; rule?: string; config: string }) => {
    const { redriveCommand } = await import('./dlq.ts');
    process.exitCode = await redriveCommand(options.config, topic, options);
  });

program
  .command('trace')
  .description(
    "where is this row? its events in the table's topic and every hop downstream: version, time, forwarded or dead-lettered (with the reason) by each processor, written, stale, superseded or in conflict in each sink, the lag at each hop, and the trace (a link to the tracing UI when ZIPKIN_URL is set); exits 1 when the topic holds no event of the key",
  )
  .argument('<table>', 'the source table, as schema.table (or table, in schema public)')
  .argument(
    '<key>',
    'the row\'s key: its value (42), its fields as name=value pairs (tenant=acme,id=42), or a JSON object ({"id":42})',
  )
  .option('--since <duration>', 'read records of the last 90s, 30m, 12h or 7d only (default: whole topics)')
  .option('--last <n>', 'follow the newest n events of the row', parseCount, 20)
  .option('--json', 'print machine-readable JSON')
  .option('-c, --config <file>', 'pipeline YAML file', 'connectors/example.yaml')
  .action(
    async (
      table: string,
      key: string,
      options: { since?: string; last: number; json?: boolean; config: string },
    ) => {
      const { traceCommand } = await import('./trace/trace-command.ts');
      process.exitCode = await traceCommand(options.config, table, key, options);
    },
  );

function parseCount(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('must be a whole number above 0');
  return Number(value);
}

function printStatus(statuses: ComponentStatus[]): void {
  const rows = statuses.map((s) => [
    s.healthy ? 'healthy' : 'DOWN',
    s.title,
    redactUrl(s.url),
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
  // Warnings, not failures: a forgotten slot keeps WAL until the disk is full.
  for (const slot of statuses.flatMap((s) => s.inactiveSlots ?? [])) {
    console.log(
      `\nwarning: ${describeInactiveSlot(slot)}\n  if nothing uses it any more, drop it: ${slot.dropCommand}`,
    );
  }
}

try {
  await program.parseAsync();
} catch (error) {
  console.error(`cdc: ${errorMessage(error)}`);
  process.exitCode = error instanceof CdcError && error.retriable ? 75 : 1;
}
