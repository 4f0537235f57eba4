import { CdcError } from '@cdc/core';
import type { HttpResponse } from '../http/http-failure.ts';
import type { HttpRequest, HttpTarget } from '../http/http-target.ts';
import type { TokenSource } from '../http/oauth2/index.ts';
import type { FhirResource } from './mapping/index.ts';

const FHIR_JSON = 'application/fhir+json';

/** A resource as the server holds it: its logical id and the version its ETag names. */
export interface ServerResource {
  readonly id: string;
  readonly versionId: string | undefined;
  readonly resource: FhirResource;
}

/** A business identifier, `system|value`. */
export interface Identifier {
  readonly system: string;
  readonly value: string;
}

/** Where a write goes: the resource's own URL (it exists) or a conditional update on its identifier. */
export type WritePlace =
  { readonly id: string; readonly versionId: string | undefined } | { readonly identifier: Identifier };

export type WriteResult =
  | { readonly kind: 'written'; readonly status: number }
  /** The server holds another version than the one the write was based on: read it again. */
  | { readonly kind: 'moved'; readonly status: number; readonly body: string };

export interface TransactionEntry {
  readonly type: string;
  readonly place: WritePlace;
  readonly resource: FhirResource;
}

export type TransactionResult =
  | { readonly kind: 'written' }
  | { readonly kind: 'moved'; readonly body: string }
  /** Refused as a whole (one of its entries, usually): the answer's OperationOutcome, as text. */
  | { readonly kind: 'refused'; readonly reason: string };

/** Identifiers per search request: the URL stays far below servers' limits (8 KB is common). */
const IDENTIFIERS_PER_SEARCH = 50;
/** Resources per page asked when reading a whole system (the server may give fewer). */
const SCAN_PAGE = 200;

/**
 * The FHIR R4 REST interactions the sink needs, over the HTTP layer's target (budget, timeouts,
 * classification): search by identifier, update (conditional or If-Match guarded) and
 * transaction Bundles. 409 and 412 come back as `moved` (HAPI answers a stale If-Match with
 * 409, the specification says 412); a 401 with OAuth2 drops that token and tries once more with
 * a fresh one, so an expired token is never sent twice in a row.
 */
export class FhirClient {
  readonly #target: HttpTarget;
  readonly #tokens: TokenSource | undefined;

  constructor(target: HttpTarget, tokens?: TokenSource) {
    this.#target = target;
    this.#tokens = tokens;
  }

  /** The resources of a type carrying each identifier value of one system (several: a conflict to report). */
  async search(
    type: string,
    system: string,
    values: readonly string[],
  ): Promise<Map<string, ServerResource[]>> {
    const found = new Map<string, ServerResource[]>();
    for (let i = 0; i < values.length; i += IDENTIFIERS_PER_SEARCH) {
      const chunk = values.slice(i, i + IDENTIFIERS_PER_SEARCH);
      const tokens = chunk.map((value) => `${escapeSearch(system)}|${escapeSearch(value)}`).join(',');
      const url = `${type}?identifier=${encodeURIComponent(tokens)}&_count=${2 * chunk.length}`;
      for await (const resource of this.#pages(url)) {
        if (resource.resourceType !== type || typeof resource.id !== 'string') continue;
        for (const identifier of (resource.identifier as Identifier[] | undefined) ?? []) {
          if (identifier.system !== system || !chunk.includes(identifier.value)) continue;
          const held = { id: resource.id, versionId: resource.meta?.versionId, resource };
          const list = found.get(identifier.value);
          if (list) list.push(held);
          else found.set(identifier.value, [held]);
        }
      }
    }
    return found;
  }

  /** Every resource of a type with an identifier of `system` (what verify compares). */
  async *searchSystem(type: string, system: string): AsyncIterable<FhirResource> {
    const url = `${type}?identifier=${encodeURIComponent(`${escapeSearch(system)}|`)}&_count=${SCAN_PAGE}`;
    for await (const resource of this.#pages(url)) if (resource.resourceType === type) yield resource;
  }

  /** The resources of a search's every page: servers cap page sizes (HAPI: 50 by default). */
  async *#pages(first: string): AsyncIterable<SearchBundleResource> {
    let url: string | undefined = first;
    while (url !== undefined) {
      const response = await this.#send({
        method: 'GET',
        url,
        // HAPI answers a repeated search from its cache for a minute: we must see our last write.
        headers: { accept: FHIR_JSON, 'cache-control': 'no-cache' },
      });
      const bundle = JSON.parse(response.body) as SearchBundle;
      for (const entry of bundle.entry ?? []) if (entry.resource) yield entry.resource;
      url = bundle.link?.find((link) => link.relation === 'next')?.url;
    }
  }

  /** Writes one resource where `place` says, guarded by the version read (If-Match) when it exists. */
  async update(type: string, place: WritePlace, resource: FhirResource): Promise<WriteResult> {
    const body = JSON.stringify('id' in place ? { ...resource, id: place.id } : resource);
    const headers: Record<string, string> = {
      'content-type': FHIR_JSON,
      accept: FHIR_JSON,
      prefer: 'return=minimal',
    };
    if ('id' in place && place.versionId !== undefined) headers['if-match'] = `W/"${place.versionId}"`;
    const response = await this.#send({ method: 'PUT', url: urlOf(type, place), headers, body });
    if (response.status === 409 || response.status === 412)
      return { kind: 'moved', status: response.status, body: response.body };
    return { kind: 'written', status: response.status };
  }

  /** Writes every entry in one transaction Bundle: all of them, or none. */
  async transaction(entries: readonly TransactionEntry[]): Promise<TransactionResult> {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: entries.map(({ type, place, resource }) => ({
        resource: 'id' in place ? { ...resource, id: place.id } : resource,
        request: {
          method: 'PUT',
          url: urlOf(type, place),
          ...('id' in place && place.versionId !== undefined ? { ifMatch: `W/"${place.versionId}"` } : {}),
        },
      })),
    };
    let response: HttpResponse;
    try {
      response = await this.#send({
        method: 'POST',
        url: '',
        headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON, prefer: 'return=minimal' },
        body: JSON.stringify(bundle),
      });
    } catch (error) {
      if (error instanceof CdcError && error.code === 'HTTP_TARGET_REFUSED') {
        return { kind: 'refused', reason: outcomeText(bodyOf(error), error.message) };
      }
      throw error;
    }
    if (response.status === 409 || response.status === 412) return { kind: 'moved', body: response.body };
    return { kind: 'written' };
  }

  /** Sends with a bearer token when OAuth2 is configured; 409/412 are answers, not failures. */
  async #send(request: HttpRequest): Promise<HttpResponse> {
    const tokens = this.#tokens;
    if (!tokens) return this.#target.request(request);
    const token = await tokens.token();
    try {
      return await this.#target.request(withToken(request, token));
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      // Expired or revoked before its time: drop it, and try once with a new one. A second 401
      // is an operator's problem (the client lost its rights), which the error says.
      tokens.invalidate(token);
      return this.#target.request(withToken(request, await tokens.token()));
    }
  }
}

/** Tells HttpTarget that 409 and 412 answers are the caller's to read (a version moved). */
export function classifyFhirAnswer(response: HttpResponse): 'ok' | undefined {
  return response.status === 409 || response.status === 412 ? 'ok' : undefined;
}

/** The text of an OperationOutcome's issues (`severity code: diagnostics (expression)`), else `fallback`. */
export function outcomeText(body: string, fallback: string): string {
  try {
    const outcome = JSON.parse(body) as OperationOutcome;
    if (outcome.resourceType !== 'OperationOutcome' || outcome.issue === undefined) return fallback;
    const issues = outcome.issue.map((issue) => {
      const text = issue.diagnostics ?? issue.details?.text ?? issue.code ?? 'issue';
      const where = issue.expression?.length ? ` (${issue.expression.join(', ')})` : '';
      return `${issue.severity ?? 'error'}: ${text}${where}`;
    });
    return issues.length > 0 ? `OperationOutcome: ${issues.join('; ')}` : fallback;
  } catch {
    return fallback;
  }
}

/** The answer's body an HTTP failure carries (http-failure.ts keeps its start in `details.body`). */
export function bodyOf(error: CdcError): string {
  return typeof error.details.body === 'string' ? error.details.body : '';
}

function urlOf(type: string, place: WritePlace): string {
  if ('id' in place) return `${type}/${encodeURIComponent(place.id)}`;
  const token = `${escapeSearch(place.identifier.system)}|${escapeSearch(place.identifier.value)}`;
  return `${type}?identifier=${encodeURIComponent(token)}`;
}

/** FHIR search escaping: `\`, `,`, `|` and `$` in a token are preceded by `\`. */
function escapeSearch(text: string): string {
  return text.replace(/[\\,|$]/gu, (character) => `\\${character}`);
}

function withToken(request: HttpRequest, token: string): HttpRequest {
  return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof CdcError && error.details.status === 401;
}

type SearchBundleResource = FhirResource & {
  readonly id?: unknown;
  readonly meta?: { readonly versionId?: string };
};

interface SearchBundle {
  readonly entry?: readonly { readonly resource?: SearchBundleResource }[];
  readonly link?: readonly { readonly relation: string; readonly url: string }[];
}

interface OperationOutcome {
  readonly resourceType?: string;
  readonly issue?: readonly {
    readonly severity?: string;
    readonly code?: string;
    readonly diagnostics?: string;
    readonly details?: { readonly text?: string };
    readonly expression?: readonly string[];
  }[];
}
