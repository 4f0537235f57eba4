import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../src/repo-root.ts';

// deploy/prometheus/alerts.yml and its promtool unit tests, alerts.test.yml, as far as the
// checks need them.

export const PROMETHEUS_DIR = join(repoRoot(), 'deploy', 'prometheus');
export const ALERTS_FILE = join(PROMETHEUS_DIR, 'alerts.yml');
export const ALERT_TESTS_FILE = join(PROMETHEUS_DIR, 'alerts.test.yml');

const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration such as 5m');

const alertRule = z.object({
  alert: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'alert names are UpperCamelCase'),
  expr: z.string().min(1),
  for: duration,
  labels: z.object({ severity: z.enum(['critical', 'warning', 'info']) }).catchall(z.string()),
  annotations: z.object({ summary: z.string().min(1), description: z.string().min(1) }).catchall(z.string()),
});

const recordingRule = z.object({
  record: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  expr: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
});

export const alertsSchema = z.object({
  groups: z
    .array(z.object({ name: z.string().min(1), rules: z.array(z.union([alertRule, recordingRule])).min(1) }))
    .min(1),
});

export const alertTestsSchema = z.object({
  rule_files: z.array(z.string()),
  evaluation_interval: duration.optional(),
  tests: z.array(
    z.object({
      name: z.string().min(1),
      interval: duration,
      input_series: z.array(z.object({ series: z.string().min(1), values: z.string() })).min(1),
      alert_rule_test: z
        .array(
          z.object({
            eval_time: duration,
            alertname: z.string(),
            exp_alerts: z
              .array(
                z.object({
                  exp_labels: z.record(z.string(), z.string()),
                  exp_annotations: z.record(z.string(), z.string()),
                }),
              )
              .optional(),
          }),
        )
        .min(1),
    }),
  ),
});

export type AlertRule = z.infer<typeof alertRule>;
export type AlertTests = z.infer<typeof alertTestsSchema>;

export function readAlerts(): z.infer<typeof alertsSchema> {
  return alertsSchema.parse(parse(readFileSync(ALERTS_FILE, 'utf8')));
}

export function readAlertTests(): AlertTests {
  return alertTestsSchema.parse(parse(readFileSync(ALERT_TESTS_FILE, 'utf8')));
}

export function alertRules(): AlertRule[] {
  return readAlerts().groups.flatMap((group) =>
    group.rules.filter((rule): rule is AlertRule => 'alert' in rule),
  );
}
