/**
 * Where the default sampling decision is taken: before the SDK, in our own code. With the SDK's
 * own ratio sampler every record paid for a span, its ids and the sampler even when nine in ten
 * were dropped (a 0.12 share of the source's throughput, BENCHMARKS.md); deciding first lets the
 * records that are not sampled take the path they take without any SDK.
 *
 * - The source asks `sampleChange()` once per change: when it says no, the change gets a trace
 *   context of our own with the sampled flag off and never reaches the SDK; when it says yes, the
 *   SDK (whose root sampler then records every root) makes the span.
 * - Processors and sinks ask `skipsUnsampled()`: under the default parent-based sampling a record
 *   whose parent was not sampled would get a span that records nothing, so none is made and the
 *   record keeps its headers as they are.
 *
 * Both apply only while startTelemetry runs the SDK with the default sampler. With a sampler the
 * environment names (OTEL_TRACES_SAMPLER), or an SDK registered another way (tests), the SDK
 * decides everything, as it would by itself.
 */

let rootRatio: number | undefined;

/** Set by startTelemetry: the default sampler's ratio, or undefined to leave the SDK to decide. */
export function decideSamplingBeforeSdk(ratio: number | undefined): void {
  rootRatio = ratio;
}

/** Whether a new change (a root) is traced: always true unless we decide before the SDK. */
export function sampleChange(): boolean {
  return rootRatio === undefined || Math.random() < rootRatio;
}

/** Whether records whose parent was not sampled skip the SDK (see above). */
export function skipsUnsampled(): boolean {
  return rootRatio !== undefined;
}

/** The sampled flag of a W3C traceparent (`00-<trace>-<span>-<flags>`), read without parsing. */
export function parentSampled(traceparent: string | undefined): boolean {
  if (traceparent === undefined || traceparent.length < 2) return false;
  // Flags are the last two hex digits; bit 0 is sampled.
  return (Number.parseInt(traceparent.slice(-2), 16) & 1) === 1;
}
