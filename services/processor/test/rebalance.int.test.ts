import { describe, expect, it } from 'vitest';
import { kafkaBrokerList } from '@cdc/core';
import { isolate, ChangeEventWriter, decodeAll, patientRow, patientShape } from '@cdc/testkit';
import { runProcessor, type ProcessorSpec } from '../src/index.ts';
import { readCommitted } from './consume.ts';

const iso = isolate('rebalance');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.valid');
const TOTAL = 8_000;
const PER_TRANSACTION = 100;

const spec: ProcessorSpec = {
  name: `${iso.id}-validate`,
  kind: 'validate',
  input,
  output,
  delivery: 'exactly_once',
  rules: [{ field: 'mrn', required: true }],
};
const connections = {
  brokers: kafkaBrokerList(iso.env),
  registryUrl: iso.env.SCHEMA_REGISTRY_URL,
  redisUrl: iso.env.REDIS_URL,
};

describe('two instances of a processor in one consumer group', () => {
  it('split the partitions and, across rebalances, lose and duplicate nothing', async () => {
    const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
    await writer.connect(4);
    let written = 0;
    const load = (async () => {
      for (let first = 1; first <= TOTAL; first += PER_TRANSACTION) {
        await writer.write(
          Array.from({ length: PER_TRANSACTION }, (_, i) => ({
            op: 'c' as const,
            row: patientRow({ id: first + i, mrn: `MRN${first + i}` }),
          })),
        );
        written += PER_TRANSACTION;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const waitWritten = async (count: number) => {
      while (written < count) await new Promise((resolve) => setTimeout(resolve, 50));
    };

    const first = await runProcessor(spec, connections);
    await waitWritten(TOTAL / 4);
    const second = await runProcessor(spec, connections); // joins: the group rebalances
    await waitWritten(TOTAL / 2);
    await first.stop(); // leaves: the second instance takes every partition
    await load;
    await writer.close();

    const records = await readCommitted(iso.env, output, `${iso.id}-check`, { atLeast: TOTAL, idleMs: 4000 });
    await second.stop();
    const ids = (await decodeAll(writer.codec, records)).map((e) => Number(e?.after?.id));
    expect(new Set(ids).size).toBe(TOTAL);
    expect(ids.length).toBe(TOTAL);
    // Both instances did part of the work.
    expect(first.runtime.counters.consumed).toBeGreaterThan(0);
    expect(second.runtime.counters.consumed).toBeGreaterThan(0);
  }, 180_000);
});
