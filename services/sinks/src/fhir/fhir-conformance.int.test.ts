import { isolate } from '@cdc/testkit';
import { sinkConformance, type SinkHandle } from '../../test/conformance.ts';
import { patientSink } from './fhir-test-target.ts';

// The shared promises (test/conformance.ts) kept against the stack's HAPI FHIR server, by single
// conditional updates and by transaction Bundles: what the server ends up holding is what counts.

const iso = isolate('fhir-conformance');

async function make(write: 'update' | 'transaction'): Promise<SinkHandle> {
  const target = patientSink(iso.env.FHIR_URL, { write });
  await target.sink.start();
  return {
    sink: target.sink,
    read: target.read,
    exists: target.exists,
    editDirectly: () => Promise.reject(new Error('conflict detection is not offered for FHIR yet')),
    close: () => target.sink.close(),
  };
}

sinkConformance('fhir', 'conditional updates', { make: () => make('update') });
sinkConformance('fhir', 'transaction Bundles', { make: () => make('transaction') });
