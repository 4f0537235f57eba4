import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterHeaders, kafkaBrokerList } from '@cdc/core';
import { isolate, topicSize } from '@cdc/testkit';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const iso = isolate('dlq-cli');
const origin = iso.topic('cdc.public.patients');
const dir = mkdtempSync(join(tmpdir(), 'cdc-dlq-cli-'));
const file = join(dir, 'pipeline.yaml');
const kafka = new Kafka({ brokers: kafkaBrokerList(iso.env), logLevel: logLevel.NOTHING });

function cdc(...args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  writeFileSync(file, JSON.stringify({ kafka: { brokers: iso.env.KAFKA_BROKERS } }));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: origin, numPartitions: 1 },
      { topic: `${origin}.dlq`, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic: `${origin}.dlq`,
    acks: -1,
    messages: [
      {
        key: 'k1',
        value: 'v1',
        headers: deadLetterHeaders(
          'validate-patients',
          { topic: origin, partition: 0, offset: '41' },
          [
            { rule: 'required', field: 'mrn', message: 'mrn is required' },
            { rule: 'format', field: 'email', message: 'email must be an email address' },
          ],
          {},
        ),
      },
      {
        key: 'k2',
        value: 'v2',
        headers: deadLetterHeaders(
          'validate-patients',
          { topic: origin, partition: 0, offset: '42' },
          [{ rule: 'decode', field: null, message: 'unknown schema id 7' }],
          {},
        ),
      },
    ],
  });
  await producer.disconnect();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cdc dlq', () => {
  it('has --help on each command', () => {
    for (const command of [['dlq'], ['dlq', 'list'], ['dlq', 'redrive'], ['sink', 'replay']]) {
      const result = cdc(...command, '--help');
      expect(result.status, `cdc ${command.join(' ')} --help`).toBe(0);
      expect(result.stdout).toMatch(/^Usage: cdc/);
    }
    expect(cdc('dlq', '--help').stdout).toMatch(/list .*<topic>[\s\S]*redrive .*<topic>/);
  }, 30_000);

  it('lists dead letters as a table: position, origin, processor, every rule with field and message', () => {
    const result = cdc('dlq', 'list', origin, '-c', file);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^PARTITION\/OFFSET\s+AT\s+ORIGIN\s+PROCESSOR\s+REASONS$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^0/0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+${origin} 0/41\\s+validate-patients\\s+required mrn: mrn is required$`,
      ),
    );
    expect(lines[2]).toMatch(/^\s+format email: email must be an email address$/);
    expect(lines[3]).toMatch(
      new RegExp(`^0/1\\s.*${origin} 0/42\\s+validate-patients\\s+decode: unknown schema id 7$`),
    );
    expect(result.stdout).toContain(`2 dead letters in ${origin}.dlq`);
  });

  it('prints JSON, takes the .dlq name as well, and stops at --limit', () => {
    const result = cdc('dlq', 'list', `${origin}.dlq`, '--json', '--limit', '1', '-c', file);
    expect(result.status, result.stderr).toBe(0);
    const entries = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      partition: 0,
      offset: '0',
      key: Buffer.from('k1').toString('base64'),
      processor: 'validate-patients',
      origin: { topic: origin, partition: 0, offset: '41' },
    });
    expect((entries[0]?.reasons as unknown[]).length).toBe(2);
  });

  it('redrives by rule, after a dry run that publishes nothing', async () => {
    const dry = cdc('dlq', 'redrive', origin, '--dry-run', '--rule', 'decode', '-c', file);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `dry run: would redrive 1 of 2 dead letters refused by rule decode (1 to ${origin})`,
    );
    expect(await topicSize(iso.env, origin)).toBe(0);
    const real = cdc('dlq', 'redrive', origin, '--rule', 'decode', '-c', file);
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toContain(`redriven 1 of 2 dead letters refused by rule decode (1 to ${origin})`);
    expect(real.stdout).toContain(`every consumer of ${origin} sees these records again`);
    expect(await topicSize(iso.env, origin)).toBe(1);
  });

  it('explains a topic that does not exist', () => {
    const result = cdc('dlq', 'list', `${origin}.missing`, '-c', file);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cdc: there is no topic ${origin}.missing.dlq`);
    expect(result.stderr).toContain('fix: ');
  });
});
