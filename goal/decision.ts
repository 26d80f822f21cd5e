/**
 * Decision rules: is a metric at its target, how far along is it. Pure functions of measured values.
 * (Foundation rule: the median of the repeats against the threshold. Paired sign tests come with
 * verified completion.)
 */
import type { MetricSpec } from './spec';

export const VERDICTS = ['MET', 'NOT_MET', 'INCONCLUSIVE', 'UNKNOWN'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The absolute value a metric must reach, given its baseline (needed for relative targets). */
export function thresholdOf(metric: Pick<MetricSpec, 'target'>, baseline: number | null): number | null {
  if ('absolute' in metric.target) return metric.target.absolute;
  if (baseline === null || baseline <= 0) return null; // "30% lower" means nothing for a baseline of 0 or below
  return baseline * (1 + metric.target.relative);
}

/**
 * Why a metric's target cannot be decided from this baseline, or null when it can. A relative target needs a
 * measured, positive baseline.
 */
export function baselineProblem(
  metric: Pick<MetricSpec, 'name' | 'target'>,
  baseline: number | null,
  error?: string,
): string | null {
  if ('absolute' in metric.target) return null;
  if (baseline === null) {
    return `metric ${metric.name} could not be measured at baseline (${error ?? 'no value'}), and its relative target needs a baseline: fix the command or give an absolute target`;
  }
  if (baseline <= 0) {
    return `metric ${metric.name} has baseline ${baseline}, and a relative target needs a positive baseline: give an absolute target`;
  }
  return null;
}

/** Whether `value` reaches `threshold` in the metric's direction. */
export function meets(direction: MetricSpec['direction'], value: number, threshold: number): boolean {
  return direction === 'lower' ? value <= threshold : value >= threshold;
}

/** Whether `a` is strictly better than `b` in the metric's direction. */
export function better(direction: MetricSpec['direction'], a: number, b: number): boolean {
  return direction === 'lower' ? a < b : a > b;
}

/** The verdict for one measured value; UNKNOWN when the value or the threshold is missing. */
export function verdictOf(
  metric: Pick<MetricSpec, 'target' | 'direction'>,
  value: number | null,
  baseline: number | null,
): Verdict {
  const threshold = thresholdOf(metric, baseline);
  if (value === null || threshold === null) return 'UNKNOWN';
  return meets(metric.direction, value, threshold) ? 'MET' : 'NOT_MET';
}

/** Progress 0–1 from the baseline toward the threshold (1 when met; 0 without a baseline). */
export function progressOf(
  metric: Pick<MetricSpec, 'target' | 'direction'>,
  value: number | null,
  baseline: number | null,
): number {
  const threshold = thresholdOf(metric, baseline);
  if (value === null || baseline === null || threshold === null) return 0;
  if (meets(metric.direction, value, threshold)) return 1;
  const span = threshold - baseline;
  if (span === 0) return 0;
  return Math.min(1, Math.max(0, (value - baseline) / span));
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
