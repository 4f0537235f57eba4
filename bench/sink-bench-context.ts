// What the phases of `npm run bench:sinks` (bench/sinks.ts and the modules of its phases) share:
// the run's namespace and id, the stack, and the Kafka client.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaBrokerList, kafkaClient, readStackEnv } from '@cdc/core';
import { intFromEnv } from './common.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Everything of the benchmark lives here: database, topics, subjects, groups, keys, collections. */
export const NAMESPACE = 'bench_sinks';
/** This run's id, in topic and group names: a run never reads another's. */
export const run = Date.now().toString(36);

export const PARTITIONS = intFromEnv('BENCH_PARTITIONS', 3);
// Node flags of the sink process (and of the plain HTTP client): none by default, as `cdc sink run`.
export const WORKER_FLAGS = process.env.BENCH_WORKER_FLAGS?.split(' ').filter(Boolean) ?? [];
/** A child whose progress does not move for this long has stalled. */
export const STALL_MS = 90_000;

export const stack = readStackEnv();
export const brokers = kafkaBrokerList(stack);
export const kafka = kafkaClient(brokers, { clientId: 'bench-sinks' });

export const log = (line: string) => process.stderr.write(`${line}\n`);
