import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue, samplesOf } from './prometheus-text.ts';

const TEXT = `# HELP cdc_events_out_total Events handed on.
# TYPE cdc_events_out_total counter
cdc_events_out_total{outcome="written",stage="sink",kind="redis",service="a"} 3
cdc_events_out_total{outcome="stale",stage="sink",kind="redis",service="a"} 0
cdc_ready{stage="sink"} 1
cdc_job_progress_ratio{job="snapshot public.\\"odd\\"",stage="source"} 0.5
process_start_time_seconds 1700000000

cdc_batch_duration_seconds_bucket{le="+Inf",stage="sink"} 2
`;

describe('parsePrometheusText', () => {
  it('reads names, labels (escapes included) and values, comments left out', () => {
    const samples = parsePrometheusText(TEXT);
    expect(samples).toHaveLength(6);
    expect(sampleValue(samples, 'cdc_events_out_total', { outcome: 'written' })).toBe(3);
    expect(sampleValue(samples, 'cdc_job_progress_ratio')).toBe(0.5);
    expect(samplesOf(samples, 'cdc_job_progress_ratio')[0]!.labels.job).toBe('snapshot public."odd"');
    expect(sampleValue(samples, 'cdc_batch_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'process_start_time_seconds')).toBe(1_700_000_000);
    expect(sampleValue(samples, 'cdc_missing')).toBeUndefined();
    expect(() => sampleValue(samples, 'cdc_events_out_total')).toThrow('2 samples');
  });
});
