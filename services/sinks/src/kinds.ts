import type { SinkKind } from './sink-kind.ts';
import { googleCalendarKind } from './calendar/kind.ts';
import { fhirKind } from './fhir/kind.ts';
import { mongoKind } from './mongo/kind.ts';
import { notionKind } from './notion/kind.ts';
import { redisKind } from './redis/kind.ts';
import { webhookKind } from './webhook/kind.ts';

/**
 * Every kind of sink, one line each: the pipeline schema, createSink, the redaction of printed
 * configs, the demo, the benchmarks, the CLI help and the conformance check derive from this
 * list. A new kind is its own folder exporting a SinkKind (sink-kind.ts) and one line here.
 */
export const SINK_KINDS = [
  redisKind,
  mongoKind,
  webhookKind,
  fhirKind,
  notionKind,
  googleCalendarKind,
] as const;

/** The same kinds, each seen as the SinkKind it is, for code that treats every kind alike. */
export const ALL_SINK_KINDS: readonly SinkKind[] = SINK_KINDS;
