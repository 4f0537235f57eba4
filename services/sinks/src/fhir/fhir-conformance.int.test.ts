import { isolate } from '@cdc/testkit';
import { sinkConformance, type SinkHandle, type SinkOptionsUnderTest } from '../../test/conformance.ts';
import { patientSink } from './fhir-test-target.ts';

// The shared promises (test/conformance.ts) kept against the stack's HAPI FHIR server, by single
// conditional updates and by transaction Bundles: what the server ends up holding is what counts.

const iso = isolate('fhir-conformance');

async function make(
  write: 'update' | 'transaction',
  options: SinkOptionsUnderTest = {},
): Promise<SinkHandle> {
  // newest_wins reads the time of a person's edit from the server's own meta.lastUpdated.
  const policy = options.policy ?? 'source_wins';
  const conflict = policy === 'newest_wins' ? { policy, timestamp_field: 'meta.lastUpdated' } : { policy };
  const target = patientSink(iso.env.FHIR_URL, { write, conflict });
  await target.sink.start();
  return {
    sink: target.sink,
    read: target.read,
    exists: target.exists,
    editDirectly: target.editDirectly,
    close: () => target.sink.close(),
  };
}

sinkConformance('fhir', 'conditional updates', { make: (options) => make('update', options) });
sinkConformance('fhir', 'transaction Bundles', { make: (options) => make('transaction', options) });
