import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, kafkaBrokerList, type DeadLetterReason } from '@cdc/core';
import {
  ChangeEventWriter,
  headerText,
  isolate,
  patientRow,
  patientShape,
  readTopic,
  startCli,
  topicSize,
  waitFor,
  type CliProcess,
} from '@cdc/testkit';

// Records whose key bytes cannot be read, or whose value names a schema id the registry does not
// know, become dead letters in the validator, the transformer and the sink alike, and each reason
// says which part failed and with which schema id, in one format; `cdc dlq list` shows both.

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const iso = isolate('dead_letter_parts');
const input = iso.topic('cdc.public.patients');
const UNKNOWN_ID = 2147483632;
const services = {
  validator: `${iso.id}-validate`,
  transformer: `${iso.id}-transform`,
  sink: `${iso.id}-redis`,
};
const configFile = iso.pipelineFile({
  processors: [
    {
      name: services.validator,
      kind: 'validate',
      input,
      output: `${input}.valid`,
      rules: [{ field: 'mrn', required: true }],
    },
    {
      name: services.transformer,
      kind: 'transform',
      input,
      output: `${input}.clean`,
      steps: [{ drop: ['ssn'] }],
    },
  ],
  sinks: [{ name: services.sink, kind: 'redis', topics: [input], key: `${iso.redisKey('patients')}:{id}` }],
});
const children = new Set<CliProcess>();

afterAll(async () => {
  await Promise.all([...children].map((child) => child.killHard()));
});

describe('dead letters of undecodable parts', () => {
  it('name the part and the schema id, in processors and sinks alike', async () => {
    const writer = new ChangeEventWriter(iso.env, input, patientShape(iso.id));
    await writer.connect(1);
    await writer.write([{ op: 'c', row: patientRow({ id: 1, mrn: 'MRN000001' }) }]);
    const [good] = await readTopic(iso.env, input, 1, `${iso.id}-good`);
    const unknownValue = Buffer.from(good!.value!);
    unknownValue.writeUInt32BE(UNKNOWN_ID, 1);
    const producer = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: input,
      acks: -1,
      messages: [
        { key: Buffer.from('no avro key'), value: good!.value },
        { key: good!.key, value: unknownValue },
      ],
    });
    await producer.disconnect();
    await writer.close();

    for (const name of Object.values(services)) children.add(startCli(['run', name, '-c', configFile]));
    await waitFor(
      '6 dead letters',
      async () => (await topicSize(iso.env, `${input}.dlq`).catch(() => 0)) >= 6,
      60_000,
    );
    const letters = await readTopic(iso.env, `${input}.dlq`, 6, `${iso.id}-dlq`);
    const byService = new Map<string, DeadLetterReason[][]>();
    for (const letter of letters) {
      const service = headerText(letter, DLQ_HEADERS.processor) ?? '?';
      const reasons = JSON.parse(headerText(letter, DLQ_HEADERS.reason) ?? '[]') as DeadLetterReason[];
      byService.set(service, [...(byService.get(service) ?? []), reasons]);
    }
    const keyReason = {
      rule: 'decode',
      field: null,
      part: 'key',
      schema_id: null,
      message: "key: not in the schema registry's wire format (11 bytes, first byte 110; expected 0)",
    };
    const valueReason = {
      rule: 'decode',
      field: null,
      part: 'value',
      schema_id: UNKNOWN_ID,
      message: `value: schema id ${UNKNOWN_ID} is not in the registry`,
    };
    for (const name of Object.values(services)) {
      expect(byService.get(name), name).toEqual([[keyReason], [valueReason]]);
    }

    const table = spawnSync(process.execPath, [main, 'dlq', 'list', input, '-c', configFile], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toContain(`decode [key, no schema id]: ${keyReason.message}`);
    expect(table.stdout).toContain(`decode [value, schema id ${UNKNOWN_ID}]: ${valueReason.message}`);
    const json = spawnSync(process.execPath, [main, 'dlq', 'list', input, '--json', '-c', configFile], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const entries = JSON.parse(json.stdout) as Array<{ reasons: DeadLetterReason[] }>;
    expect(entries.flatMap((entry) => entry.reasons)).toContainEqual(valueReason);
  }, 120_000);
});
