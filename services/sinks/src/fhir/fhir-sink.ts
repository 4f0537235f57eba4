import {
  CdcError,
  compareVersions,
  reasonOf,
  type EventVersion,
  type Sink,
  type SinkEvent,
  type SinkConflict,
  type SinkRow,
  type VerifiableSink,
  type WaitRecorder,
  type WriteOutcome,
} from '@cdc/core';
import { budgetOf } from '../http/http-settings.ts';
import { HttpTarget } from '../http/http-target.ts';
import { sendInKeyOrder } from '../http/key-order.ts';
import { TokenSource } from '../http/oauth2/index.ts';
import type { ConflictSettings } from '../field-conflicts.ts';
import { planBatch, type KeyPlan } from './batch-plan.ts';
import type { FhirSinkConfig } from './config.ts';
import { FhirClient, bodyOf, classifyFhirAnswer, outcomeText, type ServerResource } from './fhir-client.ts';
import {
  compileResourceMapping,
  validateFhirResource,
  type FhirResource,
  type ResourceMapping,
} from './mapping/index.ts';
import { replayOnServer, type KeyWrite } from './replay.ts';
import { sourceVersionOf } from './source-version.ts';
import { writeTransactions } from './transactions.ts';
import { mappingOfTable, projectRow, scanResources } from './verify.ts';

const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });
const STALE: WriteOutcome = Object.freeze({ kind: 'stale' });

/** A pending write of one resource: the events it settles. */
export interface PendingWrite {
  readonly plan: KeyPlan;
  readonly write: NonNullable<KeyWrite['write']>;
  readonly applied: readonly number[];
  readonly conflict?: SinkConflict;
}

/**
 * Writes rows as FHIR R4 resources, never backwards: per batch it maps every row (what cannot
 * map or is not valid R4 fails with why), reads what the server holds for the batch's
 * identifiers (one search per type and up to 50 identifiers), replays the newer changes on it
 * (replay.ts) and writes each resource once: by update (If-Match on the version read, or a
 * conditional update on the identifier for a new one) or in transaction Bundles. A version that
 * moved meanwhile (409/412) makes the batch retriable: the retry reads again, and what this
 * attempt wrote is then the server's version, so it comes back `stale`, never doubled.
 */
export class FhirSink implements Sink, VerifiableSink {
  readonly name: string;
  readonly #config: FhirSinkConfig;
  readonly #mappings: ReadonlyMap<string, ResourceMapping>;
  readonly #abort = new AbortController();
  readonly #target: HttpTarget;
  readonly #tokens: TokenSource | undefined;
  readonly #client: FhirClient;
  readonly #source: string;
  readonly #conflicts: ConflictSettings;

  /** `rateLimitWaits`: told how long requests wait for the request budget (metrics). */
  constructor(config: FhirSinkConfig, url: string, path: string, rateLimitWaits?: WaitRecorder) {
    this.name = config.name;
    this.#config = config;
    this.#source = config.source ?? `urn:cdc:sink:${config.name}`;
    this.#conflicts = { policy: config.conflict.policy, timestampField: config.conflict.timestamp_field };
    this.#mappings = new Map(
      Object.entries(config.resources).map(([table, mapping]) => [
        table,
        compileResourceMapping(mapping, config.codes, config.time_zone),
      ]),
    );
    this.#target = new HttpTarget({
      name: `FHIR server ${config.name}`,
      // Relative interaction URLs (Patient?identifier=...) resolve under the base, not beside it.
      url: url.endsWith('/') ? url : `${url}/`,
      ...(config.requests ? { budget: budgetOf(config.requests) } : {}),
      ...(rateLimitWaits ? { rateLimitWaits } : {}),
      timeoutMs: config.timeout_ms,
      concurrency: config.concurrency,
      signal: this.#abort.signal,
      classify: classifyFhirAnswer,
    });
    this.#tokens = config.auth
      ? new TokenSource(config.auth, { path: `${path}.auth`, signal: this.#abort.signal })
      : undefined;
    this.#client = new FhirClient(this.#target, this.#tokens);
  }

  get counters() {
    return this.#target.counters;
  }

  async start(): Promise<void> {
    await this.#tokens?.start();
    // The definitions are indexed on first use (~0.6 s): at start, not in the first batch.
    validateFhirResource({ resourceType: 'Basic', code: { text: 'start' } });
  }

  async write(events: readonly SinkEvent[]): Promise<WriteOutcome[]> {
    const validate = (resource: FhirResource) => validateFhirResource(resource)?.reason;
    const { outcomes, keys } = planBatch(
      events,
      (event) => this.#mappings.get(`${event.table.schema}.${event.table.name}`),
      validate,
    );
    const held = await this.#read(keys);
    const pending: PendingWrite[] = [];
    for (const plan of keys) {
      const result = replayOnServer(plan, held.get(plan) ?? [], validate, this.#conflicts);
      for (const index of result.stale) outcomes[index] = STALE;
      if (result.skipped && result.conflict) {
        const skipped: WriteOutcome = { kind: 'skipped', conflict: result.conflict };
        for (const index of result.applied) outcomes[index] = skipped;
      } else if (result.refused !== undefined) {
        const failed: WriteOutcome = { kind: 'failed', reason: result.refused };
        for (const index of result.applied) outcomes[index] = failed;
      } else if (result.write) {
        const resource = { ...result.write.resource, meta: { source: this.#source } };
        pending.push({
          plan,
          write: { ...result.write, resource },
          applied: result.applied,
          ...(result.conflict ? { conflict: result.conflict } : {}),
        });
      } else {
        for (const index of result.applied) outcomes[index] = WRITTEN;
      }
    }
    const settled =
      this.#config.write === 'transaction'
        ? await writeTransactions(this.#client, pending, this.#config.transaction.max_entries)
        : await this.#updateEach(pending);
    settled.forEach((outcome, i) => {
      const { applied, conflict } = pending[i] as PendingWrite;
      for (const index of applied) outcomes[index] = outcome;
      // The conflict is the key's newest change's: published once.
      const last = applied.at(-1);
      if (conflict && last !== undefined && outcome.kind === 'written')
        outcomes[last] = { kind: 'written', conflict };
    });
    return outcomes.map((outcome) => outcome ?? WRITTEN);
  }

  /**
   * The version in the row's resource (extension urn:cdc:fhir:source-version, a delete's mark
   * too), read by the search a batch reads with; null when the server holds none of ours.
   */
  async versionOf(row: Pick<SinkEvent, 'topic' | 'key' | 'table'>): Promise<EventVersion | null> {
    const mapping = this.#mappings.get(`${row.table.schema}.${row.table.name}`);
    const identified = mapping?.identifierOf(row.key);
    if (!mapping || !identified || 'reason' in identified) return null; // never written: dead letters
    const found = await this.#client.search(mapping.resourceType, mapping.identifierSystem, [
      identified.value,
    ]);
    let newest: EventVersion | null = null;
    for (const { resource } of found.get(identified.value) ?? []) {
      const version = sourceVersionOf(resource);
      if (version && (newest === null || compareVersions(version, newest) > 0)) newest = version;
    }
    return newest;
  }

  scan(table: {
    readonly schema: string;
    readonly name: string;
  }): AsyncIterable<{ key: SinkRow; row: SinkRow }> {
    return scanResources(this.#client, mappingOfTable(this.#mappings, table));
  }

  project(row: SinkRow, key: SinkRow, table: { readonly schema: string; readonly name: string }): SinkRow {
    return projectRow(mappingOfTable(this.#mappings, table), row, key);
  }

  async close(): Promise<void> {
    this.#abort.abort(new Error(`sink ${this.name} closed`));
  }

  /** What the server holds for every key of the batch: one search per type, system and 50 values. */
  async #read(keys: readonly KeyPlan[]): Promise<Map<KeyPlan, ServerResource[]>> {
    const groups = new Map<string, KeyPlan[]>();
    for (const plan of keys) {
      const group = `${plan.type}|${plan.identifier.system}`;
      const list = groups.get(group);
      if (list) list.push(plan);
      else groups.set(group, [plan]);
    }
    const held = new Map<KeyPlan, ServerResource[]>();
    await Promise.all(
      [...groups.values()].map(async (plans) => {
        const first = plans[0] as KeyPlan;
        const found = await this.#client.search(
          first.type,
          first.identifier.system,
          plans.map((plan) => plan.identifier.value),
        );
        for (const plan of plans) held.set(plan, found.get(plan.identifier.value) ?? []);
      }),
    );
    return held;
  }

  /** One update per resource, `concurrency` at a time; a refusal fails that resource's events only. */
  async #updateEach(pending: readonly PendingWrite[]): Promise<WriteOutcome[]> {
    const results = await sendInKeyOrder(
      pending,
      ({ plan }) => `${plan.type}|${plan.identifier.system}|${plan.identifier.value}`,
      this.#config.concurrency,
      async ({ plan, write }) => this.#client.update(plan.type, write.place, write.resource),
    );
    let moved: string | undefined;
    const outcomes = results.map((result, i): WriteOutcome => {
      if (result.ok) {
        if (result.value.kind === 'written') return WRITTEN;
        moved ??= `${(pending[i] as PendingWrite).plan.type} moved on the server (${result.value.status}): ${outcomeText(result.value.body, 'read it again')}`;
        return WRITTEN; // replaced below: the batch is retried
      }
      const error = 'error' in result ? result.error : undefined;
      if (error instanceof CdcError && error.code === 'HTTP_TARGET_REFUSED') {
        return { kind: 'failed', reason: refusalText(pending[i] as PendingWrite, error) };
      }
      throw error;
    });
    if (moved !== undefined) {
      throw new CdcError('HTTP_TARGET_UNAVAILABLE', `${moved}; the batch is read and written again`, {
        retriable: true,
      });
    }
    return outcomes;
  }
}

/** A refusal as a dead letter's reason: where it went and the server's OperationOutcome. */
export function refusalText(pending: PendingWrite, error: CdcError): string {
  const { plan } = pending;
  const what = `${plan.type} ${plan.identifier.system}|${plan.identifier.value}`;
  const status = typeof error.details.status === 'number' ? `${error.details.status}: ` : '';
  return `the FHIR server refused ${what}: ${status}${outcomeText(bodyOf(error), reasonOf(error))}`;
}
