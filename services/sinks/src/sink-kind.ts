import type { z } from 'zod';
import type { Sink, WaitRecorder } from '@cdc/core';
import type { SharedSettingsOf } from './shared-settings.ts';

/**
 * What the pipeline knows about one kind of sink, in one place (the kind's folder exports it,
 * kinds.ts lists it). The pipeline schema, `createSink`, the redaction of printed configs, the
 * demo's namespace, the benchmarks and the CLI help all derive from these.
 */
export interface SinkKind<Entry extends z.ZodObject = z.ZodObject> {
  /** The value of `kind:` in the pipeline file. */
  readonly kind: z.output<Entry>['kind'];
  /** How people name the target: "Redis", "MongoDB", "webhook receivers". */
  readonly title: string;
  /**
   * The whole `sinks:` entry of this kind: sinkEntry(...) of shared-settings.ts, with its own
   * settings. Secrets are core's `secretSetting`, which every print of a config hides (the type
   * says it, so no list can forget one); a `url`'s password is hidden too.
   */
  readonly entry: Entry;
  /** What the target allows: the shared settings its entry takes, and what the conformance suite asks. */
  readonly supports: SinkCapabilities;
  /**
   * Where the target's address comes from when the entry has no `url`: a connection section of the
   * pipeline file (`redis:` -> `redis.url`, which falls back to env REDIS_URL). None: `url` is required.
   */
  readonly defaultTarget?: TargetSection;
  /** `cdc sink verify` can compare the target with the source table (the sink implements `scan`). */
  readonly verifiable: boolean;
  /** The sink an entry describes. */
  create(entry: z.output<Entry>, context: SinkContext): Sink;
  /** How tests and the demo keep a run's records apart on a shared target, and remove them after. */
  readonly namespace?: SinkNamespace;
}

export interface SinkCapabilities extends SharedSettingsOf {
  /**
   * `target`: the sink compares versions with what the target holds, in the write (a replayed
   * change is `stale`); `receiver`: the target is another system that drops duplicates by id and
   * orders by the version each change carries (docs/contracts.md, Versions).
   */
  readonly versionGuard: 'target' | 'receiver';
}

/** The pipeline file's top-level connection sections that a kind's target address can fall back to. */
export type TargetSection = 'redis' | 'mongo' | 'fhir' | 'notion' | 'google_calendar';

export interface SinkContext {
  /** The target's address: the entry's `url`, or its kind's default section's. */
  readonly url: string | undefined;
  /** The setting that address comes from, for messages: `sinks[0].url` or `redis.url`. */
  readonly urlSetting: string;
  /** Where the pipeline file declares the entry (`sinks[0]`), for messages. */
  readonly path: string;
  /**
   * Told how long the sink's requests wait for the target's request budget (Retry-After pauses
   * included): the sink's cdc_sink_rate_limit_wait_seconds_total. HTTP kinds hand it to ../http.
   */
  readonly rateLimitWaits?: WaitRecorder;
}

export interface SinkNamespace {
  /** The entry with every target name it writes moved under `namespace` (a key prefix, a database). */
  place(entry: Readonly<Record<string, unknown>>, namespace: string): Record<string, unknown>;
  /** Removes what entries placed under `namespace` wrote to the target at `url`; absent is fine. */
  clean(url: string, namespace: string): Promise<void>;
}
