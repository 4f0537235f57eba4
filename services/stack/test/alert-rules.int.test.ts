import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { repoRoot } from '../src/repo-root.ts';
import { findProgram } from '../src/tools.ts';
import { ALERTS_FILE, ALERT_TESTS_FILE } from './alert-rule-files.ts';
import {
  dashboardFiles,
  dashboardOf,
  labelValuesQuery,
  panelQueries,
  variableQuery,
} from './grafana-dashboard.ts';

// The alert rules and dashboard queries through Prometheus's own parser and rule engine:
// promtool of the Debian `prometheus` package (2.42 on Debian 12), which the stack installs.

interface Run {
  readonly code: number;
  readonly output: string;
}

let promtool: string;
let dir: string;

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(promtool, args, { cwd: repoRoot() }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `$ promtool ${args.join(' ')}\n${stdout}${stderr}` });
    });
  });
}

beforeAll(async () => {
  const found = await findProgram('promtool');
  if (!found)
    throw new Error(
      'promtool is not on PATH: the local stack installs it with Prometheus (npm run stack:up), or apt-get install prometheus',
    );
  promtool = found;
  dir = await mkdtemp(join(tmpdir(), 'cdc-promtool-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('promtool', () => {
  it('accepts the alert rules', async () => {
    const result = await run(['check', 'rules', ALERTS_FILE]);
    expect(result.code, result.output).toBe(0);
  });

  it('passes the alert rules unit tests', async () => {
    const result = await run(['test', 'rules', ALERT_TESTS_FILE]);
    expect(result.code, result.output).toBe(0);
  });

  it("parses every dashboard query as this Prometheus's PromQL", async () => {
    // Each query as a recording rule: `check rules` parses it with the server's own parser.
    const queries = dashboardFiles().flatMap((file) => {
      const dashboard = dashboardOf(file);
      const variables = dashboard.templating.list.flatMap((variable) => {
        const query = labelValuesQuery(variableQuery(variable));
        return query ? [{ where: `${file.file} › variable ${variable.name}`, expr: query.selector }] : [];
      });
      return [...panelQueries(file.file, dashboard), ...variables];
    });
    const rules = queries.map((query, index) => ({
      record: `cdc_dashboard_query_${index}`,
      expr: query.expr,
    }));
    const file = join(dir, 'dashboard-queries.yml');
    await writeFile(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
    const result = await run(['check', 'rules', file]);
    const named = new Set([...result.output.matchAll(/cdc_dashboard_query_(\d+)/g)].map((m) => Number(m[1])));
    const index = queries.flatMap((query, i) =>
      named.size === 0 || named.has(i) ? [`cdc_dashboard_query_${i}: ${query.where}\n    ${query.expr}`] : [],
    );
    expect(result.code, `${result.output}\nwhere the queries come from:\n${index.join('\n')}`).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});
