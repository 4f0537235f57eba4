import type { FailureCounts } from '../failure.ts';
import type { ServiceMetrics } from './service-metrics.ts';

/**
 * cdc_failures_total{code} kept equal to a service's own failure counts (the `failuresByCode` of
 * /status, counted once in core/src/failure.ts's FailureTally), read before each scrape: one
 * count of failures, so that /status and the metrics never disagree.
 */
export function mirrorFailures(metrics: ServiceMetrics, counts: () => FailureCounts): void {
  const seen = new Map<string, number>();
  metrics.beforeScrape(() => {
    const counter = metrics.get('failures');
    for (const [code, count = 0] of Object.entries(counts())) {
      const delta = count - (seen.get(code) ?? 0);
      if (delta <= 0) continue;
      counter.inc({ code }, delta);
      seen.set(code, count);
    }
  });
}

/** cdc_ready from what /ready answers: 1 when `notReady` has no reason, read before each scrape. */
export function mirrorReadiness(
  metrics: ServiceMetrics,
  notReady: () => string | undefined | Promise<string | undefined>,
): void {
  metrics.beforeScrape(async () => {
    metrics.get('ready').set((await notReady()) === undefined ? 1 : 0);
  });
}
