import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../src/repo-root.ts';

// The part of Grafana's dashboard JSON model that deploy/grafana/dashboards relies on, and the
// PromQL it holds. Only the fields Grafana needs to place and run a panel are required.

export const DASHBOARDS_DIR = join(repoRoot(), 'deploy', 'grafana', 'dashboards');

/** The datasource every panel uses: the uid the provisioned Prometheus datasource declares. */
const datasource = z.object({ type: z.literal('prometheus'), uid: z.literal('prometheus') });

const gridPos = z
  .object({ h: z.int().min(1), w: z.int().min(1).max(24), x: z.int().min(0).max(23), y: z.int().min(0) })
  .refine((pos) => pos.x + pos.w <= 24, 'x + w must be at most 24 (the grid is 24 wide)');

const target = z.object({
  refId: z.string().min(1),
  datasource,
  expr: z.string().min(1),
  legendFormat: z.string().optional(),
});

const rowPanel = z.object({
  id: z.int(),
  type: z.literal('row'),
  title: z.string().min(1),
  gridPos,
  collapsed: z.boolean(),
  panels: z.array(z.unknown()).max(0, 'keep panels at the top level (an open row holds none)'),
});

const dataPanel = z.object({
  id: z.int(),
  type: z.enum(['timeseries', 'stat', 'state-timeline', 'gauge', 'bargauge', 'table', 'heatmap']),
  title: z.string().min(1),
  description: z.string().optional(),
  gridPos,
  datasource,
  targets: z.array(target).min(1),
  fieldConfig: z.object({ defaults: z.object({ unit: z.string().min(1) }), overrides: z.array(z.unknown()) }),
});

const queryVariable = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  type: z.literal('query'),
  datasource,
  query: z.union([z.string(), z.object({ query: z.string().min(1) })]),
  definition: z.string().optional(),
  refresh: z.union([z.literal(1), z.literal(2)]),
  includeAll: z.boolean().optional(),
  multi: z.boolean().optional(),
});

export const dashboardSchema = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'Grafana uids are at most 40 of [a-zA-Z0-9_-]'),
  title: z.string().min(1),
  tags: z.array(z.string()),
  schemaVersion: z.int().min(36),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(queryVariable) }),
  panels: z.array(z.union([rowPanel, dataPanel])).min(1),
});

export type Dashboard = z.infer<typeof dashboardSchema>;
export type DataPanel = z.infer<typeof dataPanel>;

export interface DashboardFile {
  readonly file: string;
  /** The parsed JSON, before the schema. */
  readonly json: unknown;
}

/** Why a file is not a dashboard of the model, one line per issue, naming the panel by its title. */
export function schemaProblems(file: string, json: unknown): string[] {
  const result = dashboardSchema.safeParse(json);
  if (result.success) return [];
  const panels = (json as { panels?: { title?: unknown }[] } | null)?.panels;
  return result.error.issues.map((issue) => {
    const [first, index, ...rest] = issue.path;
    const title = first === 'panels' && typeof index === 'number' ? panels?.[index]?.title : undefined;
    const where = typeof title === 'string' ? `panel "${title}" › ${rest.join('.')}` : issue.path.join('.');
    return `${file} › ${where}: ${issue.message}`;
  });
}

/** The dashboard of a file, or an error that lists the schemaProblems. */
export function dashboardOf({ file, json }: DashboardFile): Dashboard {
  const problems = schemaProblems(file, json);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return dashboardSchema.parse(json);
}

export function dashboardFiles(): DashboardFile[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as unknown }));
}

export function dataPanels(dashboard: Dashboard): DataPanel[] {
  return dashboard.panels.filter((panel): panel is DataPanel => panel.type !== 'row');
}

/** A PromQL query of a dashboard, and where it is, for messages. */
export interface DashboardQuery {
  readonly where: string;
  readonly expr: string;
}

/** Grafana's interval variables, as any duration: they decide windows, not which series. */
const BUILT_IN_DURATIONS =
  /\$(?:\{__(?:rate_interval|interval|range)\}|__(?:rate_interval|interval|range)\b)/g;

/** The PromQL Prometheus receives, up to the values of the dashboard's own variables. */
export function asPromql(expr: string): string {
  return expr.replace(BUILT_IN_DURATIONS, '5m');
}

/** The dashboard variables an expression refers to ($name, ${name}, ${name:format}, [[name]]). */
export function variablesIn(expr: string): string[] {
  const names = [...expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
  return [...new Set(names)].filter((name) => !name.startsWith('__'));
}

/** `label_values(selector, label)`: a variable's query, which Grafana runs as a series lookup. */
export function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const match = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/s.exec(query);
  return match ? { selector: match[1] ?? '', label: match[2] ?? '' } : undefined;
}

export function variableQuery(variable: Dashboard['templating']['list'][number]): string {
  return typeof variable.query === 'string' ? variable.query : variable.query.query;
}

/** Every target of every panel, as PromQL. */
export function panelQueries(file: string, dashboard: Dashboard): DashboardQuery[] {
  return dataPanels(dashboard).flatMap((panel) =>
    panel.targets.map((t) => ({
      where: `${file} › panel "${panel.title}" › ${t.refId}`,
      expr: asPromql(t.expr),
    })),
  );
}
