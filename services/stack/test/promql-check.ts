import { parser } from '@prometheus-io/lezer-promql';
import type { ExportedSeries } from './exported-series.ts';

// PromQL of the dashboards and alert rules, checked against the series the services export.
// The Lezer grammar follows the newest Prometheus; that the syntax is also Prometheus 2.42's is
// the int test's job (alert-rules.int.test.ts runs promtool on every expression).

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export interface LabelMatcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

export interface Selector {
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
  readonly text: string;
}

export interface ParsedQuery {
  readonly errors: readonly string[];
  readonly selectors: readonly Selector[];
  /** Labels of by/without/on/ignoring/group_left/group_right. */
  readonly groupingLabels: readonly string[];
}

function stringValue(literal: string): string {
  if (literal.startsWith('"')) {
    try {
      return JSON.parse(literal) as string;
    } catch {
      // a Go escape JSON does not know: the raw text is close enough for a label check
    }
  }
  return literal.slice(1, -1);
}

function selectorOf(node: SyntaxNode, expr: string): Selector {
  const text = (n: SyntaxNode | null) => (n ? expr.slice(n.from, n.to) : '');
  const matchers: LabelMatcher[] = [];
  for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
    matchers.push({
      label: text(matcher.getChild('LabelName')),
      op: text(matcher.getChild('MatchOp')),
      value: stringValue(text(matcher.getChild('StringLiteral'))),
    });
  }
  const byName = matchers.find((m) => m.label === '__name__' && m.op === '=');
  const identifier = node.getChild('Identifier');
  return { metric: identifier ? text(identifier) : byName?.value, matchers, text: text(node) };
}

/** The selectors and grouping labels of a PromQL expression, and where it does not parse. */
export function parsePromql(expr: string): ParsedQuery {
  const errors: string[] = [];
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        const near = expr.slice(ref.from, Math.max(ref.to, ref.from + 12)) || 'the end';
        errors.push(`syntax error at column ${ref.from + 1}, near "${near}"`);
      } else if (ref.name === 'QuotedLabelMatcher' || ref.name === 'QuotedLabelName') {
        errors.push(`quoted label names need Prometheus 3: ${expr.slice(ref.from, ref.to)}`);
      } else if (ref.name === 'VectorSelector') {
        selectors.push(selectorOf(ref.node, expr));
      } else if (ref.name === 'GroupingLabels') {
        for (const label of ref.node.getChildren('LabelName'))
          groupingLabels.push(expr.slice(label.from, label.to));
      }
    },
  });
  return { errors, selectors, groupingLabels };
}

function selectorProblems(selector: Selector, series: ReadonlyMap<string, ExportedSeries>): string[] {
  if (!selector.metric) return [`selector ${selector.text} has no metric name, so it cannot be checked`];
  const known = series.get(selector.metric);
  if (!known)
    return [
      `unknown metric ${selector.metric}: neither in services/core/src/metrics/catalog.ts nor among prom-client's default metrics`,
    ];
  const problems: string[] = [];
  for (const { label, op, value } of selector.matchers) {
    if (label === '__name__') continue;
    if (!known.labels.has(label)) {
      problems.push(
        `${selector.metric} has no label "${label}" (its labels: ${[...known.labels].sort().join(', ')})`,
      );
    } else if (
      label === 'stage' &&
      op === '=' &&
      known.stages &&
      !(known.stages as readonly string[]).includes(value)
    ) {
      problems.push(
        `${selector.metric} is exported by the ${known.stages.join(', ')} stage(s), never "${value}"`,
      );
    }
  }
  return problems;
}

/** The labels of every exported metric an expression selects (what a grouping may name). */
export function labelsOf(parsed: ParsedQuery, series: ReadonlyMap<string, ExportedSeries>): Set<string> {
  return new Set(parsed.selectors.flatMap((s) => [...(series.get(s.metric ?? '')?.labels ?? [])]));
}

/**
 * What is wrong with a PromQL expression: syntax errors, metrics the services do not export,
 * matchers on labels those metrics lack (or on a stage that never exports them), and groupings
 * by labels none of its metrics has. Empty when it is fine.
 */
export function promqlProblems(expr: string, series: ReadonlyMap<string, ExportedSeries>): string[] {
  const parsed = parsePromql(expr);
  if (parsed.errors.length > 0) return [...parsed.errors];
  const problems = parsed.selectors.flatMap((selector) => selectorProblems(selector, series));
  // An unknown metric has no labels to group by: one message is enough.
  if (parsed.selectors.some((s) => !series.has(s.metric ?? ''))) return problems;
  const available = labelsOf(parsed, series);
  for (const label of new Set(parsed.groupingLabels)) {
    if (!available.has(label))
      problems.push(`grouping by "${label}", a label of no metric in the expression`);
  }
  return problems;
}
