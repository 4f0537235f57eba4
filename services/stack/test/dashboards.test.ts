import { describe, expect, it } from 'vitest';
import { exportedSeries } from './exported-series.ts';
import {
  dashboardFiles,
  dashboardOf,
  dataPanels,
  labelValuesQuery,
  panelQueries,
  variableQuery,
  schemaProblems,
  variablesIn,
} from './grafana-dashboard.ts';
import { parsePromql, promqlProblems } from './promql-check.ts';

// deploy/grafana/dashboards: each file a dashboard Grafana can load, whose every query names
// series the services export (services/core/src/metrics/catalog.ts, prom-client's defaults).

const files = dashboardFiles();
const series = await exportedSeries();

describe('Grafana dashboards', () => {
  it('are the overview and one per stage', () => {
    expect(files.map((f) => f.file)).toEqual([
      'cdc-overview.json',
      'cdc-processor.json',
      'cdc-sink.json',
      'cdc-source.json',
    ]);
  });

  it('have unique uids and titles', () => {
    const dashboards = files.map((f) => dashboardOf(f));
    const twice = (values: string[]) => values.filter((value, i) => values.indexOf(value) !== i);
    expect(twice(dashboards.map((d) => d.uid)), 'uids used twice').toEqual([]);
    expect(twice(dashboards.map((d) => d.title)), 'titles used twice').toEqual([]);
  });

  it('let each stage dashboard pick services (and sinks by kind)', () => {
    const variables = (file: string) =>
      dashboardOf(files.find((f) => f.file === file) ?? { file, json: undefined }).templating.list.map(
        (v) => v.name,
      );
    expect(variables('cdc-source.json')).toEqual(['service']);
    expect(variables('cdc-processor.json')).toEqual(['service']);
    expect(variables('cdc-sink.json')).toEqual(['kind', 'service']);
  });

  describe.each(files)('$file', (dashboardFile) => {
    const { file } = dashboardFile;
    it('is a dashboard of the Grafana JSON model', () => {
      expect(schemaProblems(file, dashboardFile.json)).toEqual([]);
    });

    it('has unique panel ids and no panels on top of each other', () => {
      const { panels } = dashboardOf(dashboardFile);
      expect(new Set(panels.map((p) => p.id)).size, `${file}: duplicate panel ids`).toBe(panels.length);
      const overlaps: string[] = [];
      panels.forEach((a, i) => {
        for (const b of panels.slice(i + 1)) {
          const apart =
            a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
            b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
            a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
            b.gridPos.y + b.gridPos.h <= a.gridPos.y;
          if (!apart) overlaps.push(`"${a.title}" and "${b.title}"`);
        }
      });
      expect(overlaps, `${file}: panels that overlap`).toEqual([]);
    });

    it('queries only exported series, by labels they have', () => {
      const problems = panelQueries(file, dashboardOf(dashboardFile)).flatMap(({ where, expr }) =>
        promqlProblems(expr, series).map((problem) => `${where}: ${problem}\n    ${expr}`),
      );
      expect(problems).toEqual([]);
    });

    it('uses only variables it declares, each from a sound label_values query', () => {
      const dashboard = dashboardOf(dashboardFile);
      const declared = new Set(dashboard.templating.list.map((v) => v.name));
      const problems: string[] = [];
      for (const panel of dataPanels(dashboard)) {
        for (const t of panel.targets) {
          for (const name of variablesIn(t.expr).filter((n) => !declared.has(n)))
            problems.push(`panel "${panel.title}" › ${t.refId}: $${name} is not a variable of the dashboard`);
        }
      }
      dashboard.templating.list.forEach((variable, index) => {
        const earlier = new Set(dashboard.templating.list.slice(0, index).map((v) => v.name));
        const where = `variable ${variable.name}`;
        const query = labelValuesQuery(variableQuery(variable));
        if (!query) {
          problems.push(
            `${where}: expected label_values(<selector>, <label>), got ${variableQuery(variable)}`,
          );
          return;
        }
        problems.push(...promqlProblems(query.selector, series).map((p) => `${where}: ${p}`));
        const metric = parsePromql(query.selector).selectors[0]?.metric;
        if (metric && !series.get(metric)?.labels.has(query.label))
          problems.push(`${where}: ${metric} has no label "${query.label}" to list`);
        for (const name of variablesIn(query.selector).filter((n) => !earlier.has(n)))
          problems.push(`${where}: refers to $${name}, not an earlier variable`);
      });
      expect(problems.map((p) => `${file}: ${p}`)).toEqual([]);
    });
  });
});
