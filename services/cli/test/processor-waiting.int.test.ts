import { afterAll, describe, expect, it } from 'vitest';
import { isolate, startCli, type CliProcess } from '@cdc/testkit';

// A processor deployed before its input topic exists (the source has not run yet) waits for it.
// Meanwhile it must already be what an operator expects of a service: its health server answers
// and SIGTERM stops it gracefully.

const iso = isolate('processor_waiting');
const name = `${iso.id}-validate`;
const configFile = iso.pipelineFile({
  processors: [
    {
      name,
      kind: 'validate',
      input: iso.topic('cdc.public.not_yet'),
      output: iso.topic('cdc.public.not_yet.valid'),
      rules: [{ field: 'id', required: true }],
    },
  ],
});
const children = new Set<CliProcess>();

afterAll(async () => {
  await Promise.all([...children].map((child) => child.killHard()));
});

describe('a processor waiting for its input topic', () => {
  it('serves its health endpoints and stops gracefully on SIGTERM', async () => {
    const processor = startCli(['run', name, '-c', configFile, '--health-port', '0']);
    children.add(processor);
    await processor.printed('waiting for topic');
    const port = /health: http:\/\/127\.0\.0\.1:(\d+)\//.exec(processor.output())?.[1];
    expect(port).toBeDefined();
    const live = await fetch(`http://127.0.0.1:${port}/health`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('starting');

    expect(await processor.stop()).toBe(0);
    expect(processor.output()).toContain('SIGTERM: stopping before the first batch');
    expect(processor.output()).toContain('stopped: 0 consumed, 0 forwarded, 0 dead-lettered');
  }, 60_000);
});
