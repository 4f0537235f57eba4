import { isolate } from '@cdc/testkit';
import { sinkConformance, type SinkHandle, type SinkOptionsUnderTest } from '../../test/conformance.ts';
import { patientSink } from './calendar-test-target.ts';

// The shared promises (test/conformance.ts) kept against the stack's Calendar emulator: each test
// a service account and a calendar of its own, and a second account editing as a person would.

const iso = isolate('calendar-conformance');

async function make(options: SinkOptionsUnderTest = {}): Promise<SinkHandle> {
  // newest_wins reads the time of a person's edit from the event's own `updated`.
  const policy = options.policy ?? 'source_wins';
  const conflict = policy === 'newest_wins' ? { policy, timestamp_field: 'updated' } : { policy };
  const target = await patientSink(iso.env.GOOGLE_CALENDAR_URL, { conflict });
  await target.sink.start();
  return {
    sink: target.sink,
    read: target.read,
    exists: target.exists,
    editDirectly: target.editDirectly,
    close: () => target.sink.close(),
  };
}

sinkConformance('google_calendar', undefined, { make });
