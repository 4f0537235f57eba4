import {
  METRICS,
  SCRAPE_TARGET_LABEL,
  SERVICE_LABELS,
  ServiceMetrics,
  exportedSeriesNames,
  seriesNames,
  type MetricSpec,
  type MetricStage,
} from '@cdc/core';

/**
 * Labels Prometheus puts on every series of a target: job and instance, and the file SD's
 * cdc_target (services/core/src/metrics/scrape-targets.ts). A scraped label of the same name is
 * kept as `exported_<name>`: the scrape config (services/stack/src/components/prometheus.ts)
 * leaves honor_labels off.
 */
export const TARGET_LABELS = ['job', 'instance', SCRAPE_TARGET_LABEL] as const;

/** A series the services export, with every label a query may match or group it by. */
export interface ExportedSeries {
  readonly name: string;
  readonly labels: ReadonlySet<string>;
  /** The stages that export it; undefined for the process metrics, which every service has. */
  readonly stages: readonly MetricStage[] | undefined;
  readonly origin: 'catalog' | 'prom-client';
}

/** How a scraped label is stored: renamed when it collides with a target label. */
function storedLabel(label: string): string {
  return (TARGET_LABELS as readonly string[]).includes(label) ? `exported_${label}` : label;
}

function catalogSeries(): ExportedSeries[] {
  const specs: MetricSpec[] = Object.values(METRICS);
  const series = specs.flatMap((spec) =>
    seriesNames(spec).map((name) => ({
      name,
      labels: new Set([
        ...spec.labels.map(storedLabel),
        ...SERVICE_LABELS,
        ...TARGET_LABELS,
        ...(name.endsWith('_bucket') ? ['le'] : []),
      ]),
      stages: spec.stages,
      origin: 'catalog' as const,
    })),
  );
  // The catalog's own list is the contract; this only adds the labels to it.
  const names = exportedSeriesNames();
  if (series.length !== names.size || series.some((s) => !names.has(s.name)))
    throw new Error('exportedSeriesNames() and METRICS disagree (services/core/src/metrics/catalog.ts)');
  return series;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g;

/**
 * prom-client's default metrics, read from what a service really exposes (the text exposition of
 * ServiceMetrics carries the process registry): the list follows the installed prom-client.
 * Labels are those seen on samples; a labelled family without samples yet has none of its own.
 */
async function processSeries(): Promise<ExportedSeries[]> {
  const probe = new ServiceMetrics({ stage: 'source', kind: 'postgres', service: 'probe' });
  const lines = (await probe.text()).split('\n');
  const families = new Map<string, Set<string>>();
  for (const line of lines) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!type) continue;
    const [, family = '', kind] = type;
    const names =
      kind === 'histogram'
        ? [`${family}_bucket`, `${family}_sum`, `${family}_count`]
        : kind === 'summary'
          ? [family, `${family}_sum`, `${family}_count`]
          : [family];
    for (const name of names) families.set(name, new Set(TARGET_LABELS));
    families.get(`${family}_bucket`)?.add('le');
    if (kind === 'summary') families.get(family)?.add('quantile');
  }
  for (const line of lines) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/.exec(line);
    if (!sample) continue;
    const labels = families.get(sample[1] ?? '');
    for (const match of (sample[2] ?? '').matchAll(LABEL)) labels?.add(match[1] ?? '');
  }
  return [...families].map(([name, labels]) => ({ name, labels, stages: undefined, origin: 'prom-client' }));
}

/** Every series name a query may use, with its labels: the catalog's and prom-client's defaults. */
export async function exportedSeries(): Promise<ReadonlyMap<string, ExportedSeries>> {
  const all = [...catalogSeries(), ...(await processSeries())];
  return new Map(all.map((series) => [series.name, series]));
}
