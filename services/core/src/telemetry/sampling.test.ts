import { afterEach, describe, expect, it } from 'vitest';
import { decideSamplingBeforeSdk, parentSampled, sampleChange, skipsUnsampled } from './sampling.ts';

afterEach(() => decideSamplingBeforeSdk(undefined));

describe('sampling decided before the SDK', () => {
  it('leaves every decision to the SDK unless startTelemetry runs the default sampler', () => {
    expect(skipsUnsampled()).toBe(false);
    for (let i = 0; i < 100; i++) expect(sampleChange()).toBe(true);
  });

  it('samples changes at the ratio and skips the records of unsampled parents under it', () => {
    decideSamplingBeforeSdk(0.25);
    expect(skipsUnsampled()).toBe(true);
    const draws = 40_000;
    let sampled = 0;
    for (let i = 0; i < draws; i++) if (sampleChange()) sampled += 1;
    // Binomial: the share's standard deviation is about 0.002 here; allow ten of them.
    expect(Math.abs(sampled / draws - 0.25)).toBeLessThan(0.02);
    decideSamplingBeforeSdk(0);
    for (let i = 0; i < 100; i++) expect(sampleChange()).toBe(false);
  });

  it("reads the sampled flag of a traceparent's flags", () => {
    expect(parentSampled('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(true);
    expect(parentSampled('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toBe(false);
    expect(parentSampled('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03')).toBe(true);
    expect(parentSampled(undefined)).toBe(false);
    expect(parentSampled('')).toBe(false);
  });
});
