import { CdcError, type WriteOutcome } from '@cdc/core';
import type { FhirClient } from './fhir-client.ts';
import type { PendingWrite } from './fhir-sink.ts';

const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });

/**
 * Writes the pending resources as transaction Bundles of up to `maxEntries`, one after the other.
 * A Bundle is all or nothing, so one the server refuses is split in halves until the refused
 * entries stand alone: each fails with the server's OperationOutcome, the rest is written (a
 * refused entry costs about 2 log2(n) more Bundles, not n). A version that moved meanwhile makes
 * the batch retriable, as for single updates.
 */
export async function writeTransactions(
  client: FhirClient,
  pending: readonly PendingWrite[],
  maxEntries: number,
): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  for (let i = 0; i < pending.length; i += maxEntries) {
    outcomes.push(...(await writeBundle(client, pending.slice(i, i + maxEntries))));
  }
  return outcomes;
}

async function writeBundle(client: FhirClient, writes: readonly PendingWrite[]): Promise<WriteOutcome[]> {
  if (writes.length === 0) return [];
  const result = await client.transaction(
    writes.map(({ plan, write }) => ({ type: plan.type, place: write.place, resource: write.resource })),
  );
  if (result.kind === 'written') return writes.map(() => WRITTEN);
  if (result.kind === 'moved') {
    throw new CdcError(
      'HTTP_TARGET_UNAVAILABLE',
      'a resource of a transaction Bundle moved on the FHIR server (409/412); the batch is read and written again',
      { retriable: true },
    );
  }
  if (writes.length === 1) {
    const { plan } = writes[0] as PendingWrite;
    return [
      {
        kind: 'failed',
        reason: `the FHIR server refused ${plan.type} ${plan.identifier.system}|${plan.identifier.value} in a transaction: ${result.reason}`,
      },
    ];
  }
  const half = Math.ceil(writes.length / 2);
  return [
    ...(await writeBundle(client, writes.slice(0, half))),
    ...(await writeBundle(client, writes.slice(half))),
  ];
}
