import { describe, expect, it } from 'vitest';
import { METRICS, type MetricSpec } from '@cdc/core';
import { TARGET_LABELS, exportedSeries } from './exported-series.ts';
import { asPromql, labelValuesQuery, variablesIn } from './grafana-dashboard.ts';
import { parsePromql, promqlProblems } from './promql-check.ts';

// The checker the dashboard and alert tests rely on: it must pass what the services export and
// name what is wrong otherwise.

const series = await exportedSeries();
const problems = (expr: string) => promqlProblems(expr, series);

describe('exported series', () => {
  it('are the catalog series, with their own, the service and the target labels', () => {
    const bucket = series.get('cdc_end_to_end_latency_seconds_bucket');
    expect(bucket?.origin).toBe('catalog');
    expect([...(bucket?.labels ?? [])].sort()).toEqual(
      ['cdc_target', 'instance', 'job', 'kind', 'le', 'service', 'stage'].sort(),
    );
    expect(series.get('cdc_events_out_total')?.labels.has('outcome')).toBe(true);
  });

  it('have no catalog label that Prometheus would rename (it keeps job and instance for the target)', () => {
    const specs: MetricSpec[] = Object.values(METRICS);
    const clashes = specs.flatMap((spec) =>
      spec.labels
        .filter((label) => (TARGET_LABELS as readonly string[]).includes(label))
        .map((label) => `${spec.name}{${label}}`),
    );
    expect(clashes).toEqual([]);
    expect(series.get('cdc_job_progress_ratio')?.labels.has('task')).toBe(true);
  });

  it("include prom-client's default metrics, with the labels they are exposed with", () => {
    expect(series.get('process_cpu_seconds_total')?.origin).toBe('prom-client');
    expect(series.get('nodejs_eventloop_lag_p99_seconds')).toBeDefined();
    expect(series.get('nodejs_gc_duration_seconds_bucket')?.labels.has('le')).toBe(true);
    expect(series.get('nodejs_heap_space_size_used_bytes')?.labels.has('space')).toBe(true);
    // The process registry has no default labels: the service's labels are not on its series.
    expect(series.get('process_resident_memory_bytes')?.labels.has('service')).toBe(false);
  });
});

describe('promqlProblems', () => {
  it('passes queries of exported series by their labels', () => {
    expect(
      problems(
        'histogram_quantile(0.99, sum by (service, le) (rate(cdc_end_to_end_latency_seconds_bucket{stage="sink", service=~"a|b"}[5m])))',
      ),
    ).toEqual([]);
    expect(problems('process_resident_memory_bytes and on (job, instance) cdc_ready{stage="sink"}')).toEqual(
      [],
    );
  });

  it('names a syntax error', () => {
    expect(problems('sum(rate(cdc_ready[5m])')).toEqual([expect.stringMatching(/^syntax error at column/)]);
    expect(problems('rate(cdc_retries_total[$window])')[0]).toMatch(/syntax error/);
  });

  it('names a metric the services do not export', () => {
    expect(problems('rate(cdc_events_written_total[5m])')).toEqual([
      expect.stringContaining('unknown metric cdc_events_written_total'),
    ]);
    expect(problems('cdc_end_to_end_latency_seconds')[0]).toContain('unknown metric');
  });

  it('names a matcher on a label the metric lacks', () => {
    expect(problems('cdc_ready{outcome="sent"}')).toEqual([
      expect.stringContaining('cdc_ready has no label "outcome"'),
    ]);
    expect(problems('process_cpu_seconds_total{service="x"}')[0]).toContain('has no label "service"');
  });

  it('names a stage that never exports the metric', () => {
    expect(problems('cdc_consumer_lag_records{stage="source"}')).toEqual([
      expect.stringContaining('exported by the processor, sink stage(s), never "source"'),
    ]);
  });

  it('names a grouping by a label none of its metrics has', () => {
    expect(problems('sum by (topic) (cdc_ready)')).toEqual([expect.stringContaining('grouping by "topic"')]);
  });

  it('cannot check a selector without a metric name', () => {
    expect(problems('{stage="sink"}')[0]).toContain('has no metric name');
    expect(problems('{__name__="cdc_ready", stage="sink"}')).toEqual([]);
  });

  it('collects selectors, matchers and grouping labels', () => {
    const parsed = parsePromql(
      'sum by (service) (rate(cdc_failures_total{code!="X"}[5m])) / on (service) cdc_ready',
    );
    expect(parsed.selectors.map((s) => s.metric)).toEqual(['cdc_failures_total', 'cdc_ready']);
    expect(parsed.selectors[0]?.matchers).toEqual([{ label: 'code', op: '!=', value: 'X' }]);
    expect(parsed.groupingLabels).toEqual(['service', 'service']);
  });
});

describe('Grafana expressions', () => {
  it("replace Grafana's interval variables by a duration and keep the dashboard's own", () => {
    expect(asPromql('rate(x{service=~"$service"}[$__rate_interval]) + increase(x[${__range}])')).toBe(
      'rate(x{service=~"$service"}[5m]) + increase(x[5m])',
    );
    expect(variablesIn('x{a=~"$kind", b="${service:regex}", c="[[old]]"}[$__rate_interval]')).toEqual([
      'kind',
      'service',
      'old',
    ]);
  });

  it('read label_values(selector, label)', () => {
    expect(labelValuesQuery('label_values(cdc_ready{stage="sink"}, kind)')).toEqual({
      selector: 'cdc_ready{stage="sink"}',
      label: 'kind',
    });
    expect(labelValuesQuery('query_result(cdc_ready)')).toBeUndefined();
  });
});
