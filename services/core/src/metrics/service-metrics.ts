import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS, type MetricId, type MetricSpec, type MetricStage } from './catalog.ts';

/** Who exports the series: every one carries these as labels (catalog.ts, SERVICE_LABELS). */
export interface ServiceIdentity {
  readonly stage: MetricStage;
  /** postgres; validator, transformer; a sink kind. */
  readonly kind: string;
  /** The service's name in the pipeline file. */
  readonly service: string;
}

type Instrument<Id extends MetricId> = (typeof METRICS)[Id]['type'] extends 'counter'
  ? Counter
  : (typeof METRICS)[Id]['type'] extends 'gauge'
    ? Gauge
    : Histogram;

let processRegistry: Registry | undefined;

/**
 * The process's own metrics (CPU, memory, event-loop delay, GC), collected once per process:
 * several services may share one (tests, the demo), and each collector keeps a timer.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One service's metrics: a prom-client registry whose instruments come from the catalog only,
 * labelled with the service's identity. Gauges that mirror state elsewhere (lag, the breaker)
 * are set by `beforeScrape` callbacks, so nothing is computed between scrapes.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly identity: ServiceIdentity;
  readonly #instruments = new Map<MetricId, Counter | Gauge | Histogram>();
  readonly #beforeScrape: (() => void | Promise<void>)[] = [];

  constructor(identity: ServiceIdentity) {
    this.identity = identity;
    this.registry.setDefaultLabels({ ...identity });
  }

  /** The instrument of a catalog metric, made on first use; only metrics of this stage. */
  get<Id extends MetricId>(id: Id): Instrument<Id> {
    const existing = this.#instruments.get(id);
    if (existing) return existing as Instrument<Id>;
    const spec: MetricSpec = METRICS[id];
    if (!spec.stages.includes(this.identity.stage))
      throw new Error(`${spec.name} is not a ${this.identity.stage} metric (catalog.ts)`);
    const common = {
      name: spec.name,
      help: spec.help,
      labelNames: [...spec.labels],
      registers: [this.registry],
    };
    const made =
      spec.type === 'counter'
        ? new Counter(common)
        : spec.type === 'gauge'
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] });
    this.#instruments.set(id, made);
    return made as Instrument<Id>;
  }

  /** Runs before every scrape (and OTLP export): for gauges read from the service's state. */
  beforeScrape(update: () => void | Promise<void>): void {
    this.#beforeScrape.push(update);
  }

  async #refresh(): Promise<void> {
    for (const update of this.#beforeScrape) await update();
  }

  /** The Prometheus text exposition of this service and of the process. */
  async text(): Promise<string> {
    await this.#refresh();
    const own = await this.registry.metrics();
    return `${own}\n${await processMetrics().metrics()}`;
  }

  /** The same, as prom-client's JSON (for the OTLP bridge). */
  async json(): ReturnType<Registry['getMetricsAsJSON']> {
    await this.#refresh();
    return this.registry.getMetricsAsJSON();
  }

  /**
   * The current values of one metric after the scrape callbacks ran, keyed by series as
   * `name{label:value,...}` (a histogram's `_bucket`, `_sum`, `_count` named so): for tests and tools
   * that read one metric rather than the whole exposition.
   */
  async values(name: string): Promise<Record<string, number>> {
    await this.#refresh();
    const metric = this.registry.getSingleMetric(name);
    // Instruments are made on first use: one not made yet has no series.
    if (!metric) return {};
    const { values } = await metric.get();
    return Object.fromEntries(
      // prom-client's type leaves out metricName, which a histogram's values carry.
      values.map((sample) => [
        `${(sample as { metricName?: string }).metricName ?? name}${JSON.stringify(sample.labels)}`.replaceAll(
          '"',
          '',
        ),
        sample.value,
      ]),
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
