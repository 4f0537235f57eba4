import { describe, expect, it } from 'vitest';
import type { FailureCounts } from '../failure.ts';
import { mirrorFailures, mirrorReadiness } from './mirrors.ts';
import { ServiceMetrics } from './service-metrics.ts';

async function values(metrics: ServiceMetrics, name: string) {
  await metrics.text(); // runs the beforeScrape callbacks
  const metric = metrics.registry.getSingleMetric(name);
  return (await metric!.get()).values.map(({ labels, value }) => ({ labels, value }));
}

describe('mirrors', () => {
  it('keeps cdc_failures_total equal to the failure counts, adding only what is new', async () => {
    const metrics = new ServiceMetrics({ stage: 'processor', kind: 'validator', service: 'v' });
    let counts: FailureCounts = { KAFKA_UNAVAILABLE: 2 };
    mirrorFailures(metrics, () => counts);
    expect(await values(metrics, 'cdc_failures_total')).toEqual([
      { labels: { code: 'KAFKA_UNAVAILABLE' }, value: 2 },
    ]);
    counts = { KAFKA_UNAVAILABLE: 3, UNCLASSIFIED: 1 };
    await metrics.text();
    expect(await values(metrics, 'cdc_failures_total')).toEqual([
      { labels: { code: 'KAFKA_UNAVAILABLE' }, value: 3 },
      { labels: { code: 'UNCLASSIFIED' }, value: 1 },
    ]);
  });

  it('sets cdc_ready from what /ready would answer', async () => {
    const metrics = new ServiceMetrics({ stage: 'sink', kind: 'redis', service: 's' });
    let notReady: string | undefined = 'starting';
    mirrorReadiness(metrics, () => notReady);
    expect(await values(metrics, 'cdc_ready')).toEqual([{ labels: {}, value: 0 }]);
    notReady = undefined;
    expect(await values(metrics, 'cdc_ready')).toEqual([{ labels: {}, value: 1 }]);
  });
});
