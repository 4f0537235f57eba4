import { isolate } from '@cdc/testkit';
import { sinkConformance, type SinkHandle, type SinkOptionsUnderTest } from '../../test/conformance.ts';
import { patientTarget } from './notion-test-target.ts';

// The shared promises (test/conformance.ts) kept against the stack's Notion emulator: each test
// gets an integration and a database of its own, and a second integration edits pages as a
// person would. What the data source ends up holding is what counts.

const iso = isolate('notion-conformance');

async function make(options: SinkOptionsUnderTest = {}): Promise<SinkHandle> {
  // newest_wins reads the time of a person's edit from the page's own last_edited_time.
  const policy = options.policy ?? 'source_wins';
  const conflict = policy === 'newest_wins' ? { policy, timestamp_field: 'last_edited_time' } : { policy };
  const target = await patientTarget(iso.env.NOTION_URL, { conflict });
  await target.sink.start();
  return {
    sink: target.sink,
    read: target.read,
    exists: target.exists,
    editDirectly: target.editDirectly,
    close: target.close,
  };
}

sinkConformance('notion', undefined, { make });
