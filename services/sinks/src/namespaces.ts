import type { StackEnv } from '@cdc/core';
import { ALL_SINK_KINDS } from './kinds.ts';
import type { TargetSection } from './sink-kind.ts';

/**
 * Removes what sinks placed under `namespace` (their kinds' `namespace.place`) on the shared
 * targets: every kind with a default target cleans it. For tests and the demo, which share the
 * local stack's servers with everything else.
 */
export async function cleanSinkNamespaces(
  targets: Readonly<Record<TargetSection, string>>,
  namespace: string,
): Promise<void> {
  await Promise.all(
    ALL_SINK_KINDS.map((kind) =>
      kind.namespace && kind.defaultTarget
        ? kind.namespace.clean(targets[kind.defaultTarget], namespace)
        : Promise.resolve(),
    ),
  );
}

/** The local stack's servers as the connection sections sinks fall back to (redis.url, mongo.url, ...). */
export function stackTargets(
  env: Pick<StackEnv, 'REDIS_URL' | 'MONGO_URL' | 'FHIR_URL' | 'NOTION_URL' | 'GOOGLE_CALENDAR_URL'>,
): Record<TargetSection, string> {
  return {
    redis: env.REDIS_URL,
    mongo: env.MONGO_URL,
    fhir: env.FHIR_URL,
    notion: env.NOTION_URL,
    google_calendar: env.GOOGLE_CALENDAR_URL,
  };
}
