import { parseVersionText, type EventVersion } from '@cdc/core';
import { decimalVersion } from './record-facts.ts';
import type { SpanFact, TraceLookup } from './trace-facts.ts';

/** A tracing UI that has not answered by then is reported as unavailable. */
const LOOKUP_MS = 5_000;

/**
 * One trace from Zipkin's API (`GET /api/v2/trace/<id>`: 404 when it has none). Everything but
 * an answer is `unavailable`: the trace is an aid, never a reason for `cdc trace` to fail.
 */
export async function lookupTrace(baseUrl: string, traceId: string): Promise<TraceLookup> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/v2/trace/${traceId}`, { signal: AbortSignal.timeout(LOOKUP_MS) });
  } catch {
    return { status: 'unavailable' };
  }
  if (response.status === 404) return { status: 'not_found' };
  if (!response.ok) return { status: 'unavailable' };
  try {
    const spans = sinkSpans(await response.json());
    return { status: 'found', spans };
  } catch {
    return { status: 'unavailable' };
  }
}

/**
 * The sink spans of a Zipkin v2 trace (a JSON array of spans whose attributes are string tags):
 * those with `cdc.sink`, and what their `cdc.outcome` and `cdc.version` say.
 */
export function sinkSpans(trace: unknown): SpanFact[] {
  if (!Array.isArray(trace)) return [];
  return trace.flatMap((span: unknown): SpanFact[] => {
    if (typeof span !== 'object' || span === null) return [];
    const { tags, timestamp, duration } = span as { tags?: unknown; timestamp?: unknown; duration?: unknown };
    if (typeof tags !== 'object' || tags === null) return [];
    const tag = (name: string) => {
      const value = (tags as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : null;
    };
    const sink = tag('cdc.sink');
    if (sink === null) return [];
    const start = typeof timestamp === 'number' ? timestamp : null;
    return [
      {
        sink,
        topic: tag('messaging.destination.name'),
        offset: tag('messaging.kafka.offset'),
        outcome: tag('cdc.outcome'),
        version: spanVersion(tag('cdc.version')),
        // Zipkin times are microseconds.
        endMs: start === null ? null : (start + (typeof duration === 'number' ? duration : 0)) / 1000,
      },
    ];
  });
}

/** `cdc.version` as a sink writes it: the version text (hex, as Redis stores it) or `<commit_lsn>/<seq>` in decimal. */
function spanVersion(text: string | null): EventVersion | null {
  if (text === null) return null;
  try {
    return parseVersionText(text);
  } catch {
    const [lsn, seq] = text.split('/');
    return decimalVersion(lsn, seq);
  }
}
