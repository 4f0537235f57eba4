import { afterAll, describe, expect, it } from 'vitest';
import {
  isolate,
  startCli,
  type CliProcess,
  ChangeEventWriter,
  decodeAll,
  patientRow,
  patientShape,
} from '@cdc/testkit';
import { readCommitted } from './consume.ts';

const iso = isolate('processor_crash');
const input = iso.topic('cdc.public.patients');
const output = iso.topic('cdc.public.patients.valid');
const name = `${iso.id}-validate`;
const configFile = iso.pipelineFile({
  processors: [
    {
      name,
      kind: 'validate',
      input,
      output,
      delivery: 'exactly_once',
      rules: [{ field: 'mrn', required: true }],
    },
  ],
});
const children = new Set<CliProcess>();

const TOTAL = 12_000;
const PER_TRANSACTION = 200;

/** First started as `cdc processor run <name>`, restarted as `cdc run <name>` (the same service). */
function startProcessor(command: 'processor run' | 'run'): { process: CliProcess; running: Promise<void> } {
  const started = startCli([...command.split(' '), name, '-c', configFile]);
  children.add(started);
  return { process: started, running: started.printed('consuming (') };
}

afterAll(async () => {
  await Promise.all([...children].map((child) => child.killHard()));
});

describe('a processor killed with -9 during load', () => {
  it('loses nothing and, in exactly-once mode, duplicates nothing', async () => {
    const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
    await writer.connect(3);
    const load = (async () => {
      for (let first = 1; first <= TOTAL; first += PER_TRANSACTION) {
        await writer.write(
          Array.from({ length: PER_TRANSACTION }, (_, i) => ({
            op: 'c' as const,
            row: patientRow({ id: first + i, mrn: `MRN${String(first + i).padStart(6, '0')}` }),
          })),
        );
        await new Promise((resolve) => setTimeout(resolve, 20)); // a sustained load, not one burst
      }
    })();

    let current = startProcessor('processor run');
    await current.running;
    for (let kill = 0; kill < 3; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 1500));
      await current.process.killHard();
      current = startProcessor('run');
      await current.running;
    }
    await load;
    await writer.close();

    const records = await readCommitted(iso.env, output, `${iso.id}-check`, { atLeast: TOTAL, idleMs: 4000 });
    const envelopes = await decodeAll(writer.codec, records);
    const ids = envelopes.map((e) => Number(e?.after?.id));
    expect(new Set(ids).size).toBe(TOTAL); // nothing lost
    expect(ids.length).toBe(TOTAL); // nothing doubled
    await current.process.killHard();
  }, 240_000);
});
