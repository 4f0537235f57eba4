import { sinkConformance, type SinkHandle } from '../../test/conformance.ts';
import { parseWebhookSinkConfig } from './config.ts';
import { webhookKind } from './kind.ts';
import { TestReceiver } from './test-receiver.ts';

// The shared promises (test/conformance.ts), kept by the sink and a receiver that applies changes
// by version as docs/contracts.md tells receivers to: what it ends up holding is what counts.

async function make(batch: number): Promise<SinkHandle> {
  const receiver = new TestReceiver();
  await receiver.start();
  const entry = parseWebhookSinkConfig({
    kind: 'webhook',
    name: 'conformance',
    topics: ['cdc.public.patients'],
    url: receiver.url,
    secret: receiver.secret,
    batch: { max_events: batch },
  });
  const sink = webhookKind.create(entry, { url: entry.url, urlSetting: 'sinks[0].url', path: 'sinks[0]' });
  await sink.start();
  const held = (id: bigint) => receiver.records.get(`public.patients/${JSON.stringify({ id: String(id) })}`);
  return {
    sink,
    read: async (id) => {
      const row = held(id)?.row;
      return row ? { ...row, id: BigInt(row.id as string) } : null;
    },
    editDirectly: () => Promise.reject(new Error('a webhook receiver is not edited through the sink')),
    exists: async (id) => held(id) !== undefined,
    close: async () => {
      await sink.close();
      await receiver.stop();
    },
  };
}

sinkConformance('webhook', 'one event per request', { make: () => make(1) });
sinkConformance('webhook', 'batches', { make: () => make(50) });
