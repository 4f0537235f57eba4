import type { SinkNamespace } from '../sink-kind.ts';

/**
 * Tests and the demo share the stack's FHIR server: a namespace's resources carry
 * `meta.source = urn:cdc:namespace:<namespace>` (the sink's `source`), which the server keeps and
 * can search (`_source`). Cleaning deletes them one by one, in transaction Bundles, for every
 * resource type the server offers: a server needs no multiple-delete switch for that.
 */
export const fhirNamespace: SinkNamespace = {
  place: (entry, namespace) => ({ ...entry, source: namespaceSource(namespace) }),
  clean: async (url, namespace) => {
    const base = url.replace(/\/$/u, '');
    for (const type of await resourceTypes(base)) {
      for (;;) {
        const found = await json<{ entry?: { resource: { id: string } }[] }>(
          `${base}/${type}?_source=${encodeURIComponent(namespaceSource(namespace))}&_elements=id&_count=200`,
          { headers: { 'cache-control': 'no-cache' } },
        );
        const ids = (found.entry ?? []).map((entry) => entry.resource.id);
        if (ids.length === 0) break;
        await json(`${base}`, {
          method: 'POST',
          headers: { 'content-type': FHIR_JSON },
          body: JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction',
            entry: ids.map((id) => ({ request: { method: 'DELETE', url: `${type}/${id}` } })),
          }),
        });
      }
    }
  },
};

const FHIR_JSON = 'application/fhir+json';

export function namespaceSource(namespace: string): string {
  return `urn:cdc:namespace:${namespace}`;
}

interface CapabilityStatement {
  readonly rest?: readonly {
    readonly resource?: readonly {
      readonly type: string;
      readonly interaction?: readonly { code: string }[];
    }[];
  }[];
}

/** The resource types the server's CapabilityStatement says it searches, read once per server. */
const typesOf = new Map<string, Promise<string[]>>();

function resourceTypes(base: string): Promise<string[]> {
  let types = typesOf.get(base);
  if (!types) {
    types = json<CapabilityStatement>(`${base}/metadata`).then((statement) =>
      (statement.rest ?? []).flatMap((rest) =>
        (rest.resource ?? [])
          .filter((resource) =>
            resource.interaction?.some((interaction) => interaction.code === 'search-type'),
          )
          .map((resource) => resource.type),
      ),
    );
    types.catch(() => typesOf.delete(base));
    typesOf.set(base, types);
  }
  return types;
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, {
    ...init,
    headers: { accept: FHIR_JSON, ...(init.headers as Record<string, string> | undefined) },
  });
  const body = await response.text();
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}
