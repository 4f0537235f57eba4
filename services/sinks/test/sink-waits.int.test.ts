import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Stack } from '@cdc/stack';
import {
  ChangeEventWriter,
  isolate,
  patientRow,
  patientShape,
  startCli,
  topicSize,
  waitFor,
  type CliProcess,
} from '@cdc/testkit';

// A sink deployed before anything it needs: its topic does not exist yet (the source has not run)
// and Redis is stopped. It must stay up in the same process, say on /ready what it waits for,
// and, once the topic exists and Redis serves, write everything without a dead letter.

const iso = isolate('sink_waits');
const topic = iso.topic('cdc.public.patients');
const name = `${iso.id}-redis`;
const prefix = iso.redisKey('patients');
const configFile = iso.pipelineFile({
  sinks: [
    { name, kind: 'redis', topics: [topic], key: `${prefix}:{id}`, retry: { min_ms: 200, max_ms: 2000 } },
  ],
});
const stack = new Stack();
const redisServer = stack.components.find((c) => c.name === 'redis');
const redis = new Redis(iso.env.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
redis.on('error', () => undefined); // Redis is stopped on purpose below
const children = new Set<CliProcess>();
const ROWS = 40;

async function health(port: string, path: '/ready' | '/status') {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

afterAll(async () => {
  await Promise.all([...children].map((child) => child.killHard()));
  await stack.up({ renderer: 'silent' }); // whatever happened, leave the stack whole for later files
  redis.disconnect();
});

describe('a sink started before its topic exists and while Redis is down', () => {
  it('stays up, reports what it waits for, then writes everything once both are there', async () => {
    expect(await redisServer?.stop()).toBe('stopped');
    const sink = startCli(['run', name, '-c', configFile, '--health-port', '0']);
    children.add(sink);
    await sink.printed('health: http://127.0.0.1:');
    const port = /health: http:\/\/127\.0\.0\.1:(\d+)\//.exec(sink.output())?.[1] ?? '';
    const pid = sink.child.pid;

    // Both waits are reported at once, in the pipeline file's words, with one log line per attempt.
    const waiting = await waitFor('both waits on /ready', async () => {
      const ready = await health(port, '/ready');
      const reason = String(ready.body.reason);
      return ready.status === 503 && reason.includes('Redis') && reason.includes(topic) ? reason : undefined;
    });
    expect(waiting).toMatch(/^starting: /);
    expect(waiting).toContain(`waiting for topic ${topic} to exist`);
    expect(waiting).toContain('Redis (redis.url, or REDIS_URL) at redis://127.0.0.1:');
    expect(waiting).toContain('is unreachable: connection refused');
    const status = await health(port, '/status');
    expect(status.body).toMatchObject({ phase: 'starting', notReady: waiting });
    // Each wait with its error code, and the failed attempts counted by code.
    const waits = status.body.waiting as { for: string; code: string }[];
    expect(waits.map((w) => `${w.for} ${w.code}`).sort()).toEqual([
      'target REDIS_UNAVAILABLE',
      'topics TOPIC_MISSING',
    ]);
    const failures = status.body.failuresByCode as Record<string, number>;
    expect(Object.keys(failures).sort()).toEqual(['REDIS_UNAVAILABLE', 'TOPIC_MISSING']);
    await sink.printed('(attempt 3)');
    expect(sink.output()).toMatch(
      /waiting for target \[REDIS_UNAVAILABLE\]: Redis .* is unreachable: connection refused; retrying in [\d.]+ s \(attempt \d+\)/,
    );
    expect(sink.output()).toMatch(/waiting for topics \[TOPIC_MISSING\]: waiting for topic /);
    expect(sink.output()).not.toMatch(/maxRetriesPerRequest|does not host this topic-partition/);

    // The topic appears (the source starts) and receives rows: the sink still waits for Redis.
    const writer = new ChangeEventWriter(iso.env, topic, patientShape(iso.id));
    await writer.connect(2);
    for (let id = 1; id <= ROWS; id += 1)
      await writer.write([{ op: 'c', row: patientRow({ id, mrn: `MRN${String(id).padStart(6, '0')}` }) }]);
    await sink.printed('the topics exist (waited');
    const onlyRedis = await waitFor('only Redis on /ready', async () => {
      const ready = await health(port, '/ready');
      const reason = String(ready.body.reason);
      return ready.status === 503 && !reason.includes(topic) ? reason : undefined;
    });
    expect(onlyRedis).toContain('Redis (redis.url, or REDIS_URL)');

    await stack.up({ renderer: 'silent' });
    await sink.printed('the target answers (waited');
    await sink.printed('consuming');
    await waitFor('/ready 200', async () => (await health(port, '/ready')).status === 200, 60_000);
    await redis.connect();
    const stored = await waitFor(
      `${ROWS} rows in Redis`,
      async () => {
        const keys = (await redis.keys(`${prefix}:*`)).filter((key) => !key.endsWith(':cdc'));
        return keys.length >= ROWS ? keys : undefined;
      },
      60_000,
    );
    expect(stored).toHaveLength(ROWS);
    expect(await redis.hget(`${prefix}:${ROWS}`, 'mrn')).toBe(`MRN${String(ROWS).padStart(6, '0')}`);
    expect(await topicSize(iso.env, `${topic}.dlq`)).toBe(0);
    expect(sink.child.pid).toBe(pid);
    expect(sink.child.exitCode).toBeNull();
    const running = (await health(port, '/status')).body;
    expect(running).toMatchObject({ phase: 'running', notReady: null, waiting: [] });
    // The counts stay, as a record of what was waited out: at least three attempts on Redis.
    expect((running.failuresByCode as Record<string, number>).REDIS_UNAVAILABLE).toBeGreaterThanOrEqual(3);

    expect(await sink.stop()).toBe(0);
    expect(sink.output()).toContain(`stopped: ${ROWS} written`);
    await writer.close();
  }, 180_000);
});
