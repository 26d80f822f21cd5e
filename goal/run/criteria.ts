/**
 * Where each criterion stands: the metrics' verdicts against their targets, the checks, the progress toward them,
 * and the one-line accounts of both for the agent, the UI and commit messages.
 */
import { progressOf, thresholdOf, verdictOf } from '../decision';
import type { GoalSpec } from '../spec';
import type { CheckStatus, MetricStatus } from '../status';
import { formatValue } from '../values';
import type { CheckState, GoalState, MetricState } from './state';

export function metricState(s: GoalState, name: string): MetricState {
  const m = s.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`unknown metric ${name}`);
  return m;
}

export function metricSpec(s: GoalState, name: string): GoalSpec['metrics'][number] {
  const m = s.spec.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`unknown metric ${name}`);
  return m;
}

export function checkState(s: GoalState, name: string): CheckState {
  const c = s.checks.find((x) => x.name === name);
  if (!c) throw new Error(`unknown check ${name}`);
  return c;
}

/** A metric's verdict for a value, against its current target and baseline. */
export function verdictFor(s: GoalState, name: string, value: number | null): ReturnType<typeof verdictOf> {
  return verdictOf(metricSpec(s, name), value, metricState(s, name).baseline);
}

export function metricStatuses(s: GoalState): MetricStatus[] {
  return s.metrics.map((m) => {
    const spec = metricSpec(s, m.name);
    return {
      name: m.name,
      direction: spec.direction,
      baseline: m.baseline,
      latest: m.latest,
      best: m.best,
      target: thresholdOf(spec, m.baseline),
      verdict: m.verdict ?? verdictOf(spec, m.latest, m.baseline),
      ...(m.lastError ? { lastError: m.lastError } : {}),
      ...(m.pairs ? { pairs: { ...m.pairs } } : {}),
    };
  });
}

export function checkStatuses(s: GoalState): CheckStatus[] {
  return s.checks.map((c) => ({ ...c }));
}

/** Progress 0–1 toward the criteria: the mean over metrics and checks. */
export function progress(s: GoalState): number {
  const parts = [
    ...s.metrics.map((m) => progressOf(metricSpec(s, m.name), m.latest, m.baseline)),
    ...s.checks.map((c) => (c.latest ? 1 : 0)),
  ];
  if (s.status === 'achieved') return 1;
  return parts.length === 0 ? 0 : parts.reduce((a, b) => a + b, 0) / parts.length;
}

/** The criteria and their current state, one line each, for the agent's context and the UI. */
export function describeCriteria(s: GoalState): string {
  const lines = [
    ...metricStatuses(s).map(
      (m) =>
        `metric ${m.name} (${m.direction} is better): baseline ${formatValue(m.baseline)}, latest ${formatValue(m.latest)}, best ${formatValue(m.best)}, target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)} → ${m.verdict}${m.lastError ? ` (${m.lastError})` : ''}`,
    ),
    ...s.checks.map((c) => `check "${c.name}": ${c.latest === null ? 'not run yet' : c.latest ? 'passes' : 'FAILS'}`),
    ...s.checklist.map(
      (c) =>
        `checklist "${c.item}": ${c.verified === null ? 'not verified yet' : c.verified ? 'verified' : 'NOT verified'}`,
    ),
  ];
  const hidden = s.holdout.filter((h) => h.latest === false).length;
  if (hidden > 0) lines.push(`held-out checks: ${hidden} failing`);
  return lines.join('; ');
}

/** A one-line account of the metrics for commit messages: "score 0 → 7 (target ≥ 9)". */
export function metricChange(s: GoalState): string {
  const parts = metricStatuses(s).map(
    (m) =>
      `${m.name} ${formatValue(m.baseline)} → ${formatValue(m.best)} (target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)})`,
  );
  const checks = s.checks.filter((c) => c.latest).length;
  if (s.checks.length > 0) parts.push(`${checks}/${s.checks.length} checks pass`);
  return parts.join(', ');
}
