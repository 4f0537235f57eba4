import { describe, expect, it } from 'vitest';
import { SERVICE_LABELS } from '@cdc/core';
import { alertRules, readAlertTests } from './alert-rule-files.ts';
import { TARGET_LABELS, exportedSeries } from './exported-series.ts';
import { labelsOf, parsePromql, promqlProblems } from './promql-check.ts';

// deploy/prometheus/alerts.yml: every expression names exported series by labels they have, and
// alerts.test.yml exercises every alert both ways. That the rules behave as their tests say is
// the int test's job (alert-rules.int.test.ts runs promtool).

const series = await exportedSeries();
const rules = alertRules();
const tests = readAlertTests();

describe('alert rules', () => {
  it('are the alerts the pipeline needs', () => {
    expect([...new Set(rules.map((r) => r.alert))].sort()).toEqual(
      [
        'CircuitOpen',
        'ConsumerLagGrowing',
        'DeadLetterRate',
        'JobSlowerThanHistory',
        'ServiceNotReady',
        'SinkErrorRate',
        'SlotLagHigh',
        'SourceStalled',
        'WalRetainedHigh',
      ].sort(),
    );
  });

  it('query only exported series, by labels they have', () => {
    const problems = rules.flatMap((rule) =>
      promqlProblems(rule.expr, series).map(
        (p) => `alerts.yml › ${rule.alert}: ${p}\n    ${rule.expr.trim()}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('state their threshold in the description', () => {
    const silent = rules
      .filter((rule) => !/threshold/i.test(rule.annotations.description))
      .map((r) => r.alert);
    expect(silent, 'alerts whose description does not say what was crossed').toEqual([]);
  });

  it('template annotations only with labels the alert has', () => {
    const problems = rules.flatMap((rule) => {
      const labels = new Set([...labelsOf(parsePromql(rule.expr), series), ...Object.keys(rule.labels)]);
      return Object.entries(rule.annotations).flatMap(([name, text]) =>
        [...text.matchAll(/\$labels\.(\w+)/g)]
          .map((match) => match[1] ?? '')
          .filter((label) => !labels.has(label))
          .map(
            (label) => `alerts.yml › ${rule.alert} › ${name}: $labels.${label} is not a label of its series`,
          ),
      );
    });
    expect(problems).toEqual([]);
  });
});

describe('alert rule unit tests (alerts.test.yml)', () => {
  it('have a firing and a quiet case for every alert', () => {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test.map((c) => ({ ...c, test: t.name })));
    const missing = [...new Set(rules.map((r) => r.alert))].flatMap((alert) => {
      const own = cases.filter((c) => c.alertname === alert);
      return [
        ...(own.some((c) => (c.exp_alerts ?? []).length > 0) ? [] : [`${alert}: no case where it fires`]),
        ...(own.some((c) => (c.exp_alerts ?? []).length === 0)
          ? []
          : [`${alert}: no case where it stays quiet`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('test only alerts that exist', () => {
    const names = new Set(rules.map((r) => r.alert));
    const unknown = tests.tests.flatMap((t) =>
      t.alert_rule_test.filter((c) => !names.has(c.alertname)).map((c) => `${t.name}: ${c.alertname}`),
    );
    expect(unknown).toEqual([]);
  });

  it('feed series the services really emit, with the service and target labels', () => {
    const problems = tests.tests.flatMap((t) =>
      t.input_series.flatMap(({ series: text }) => {
        const where = `alerts.test.yml › ${t.name} › ${text}`;
        const found = promqlProblems(text, series);
        if (found.length > 0) return found.map((p) => `${where}: ${p}`);
        const selector = parsePromql(text).selectors[0];
        const present = new Set(selector?.matchers.map((m) => m.label));
        const required = series.get(selector?.metric ?? '')?.origin === 'catalog' ? SERVICE_LABELS : [];
        return [...required, ...TARGET_LABELS]
          .filter((label) => !present.has(label))
          .map((label) => `${where}: lacks the label "${label}" every such series has`);
      }),
    );
    expect(problems).toEqual([]);
  });
});
