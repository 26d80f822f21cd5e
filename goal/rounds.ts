/**
 * What a verification round's raw results mean, before the goal records them: which metrics are decided by paired
 * runs, when paired runs have decided, a checklist command's verdict, and whether A/A runs show a target inside the
 * noise. Pure; workflows/verify.ts runs the measurements.
 */
import { median } from './decision';
import { isDeterministic, type MetricSpec } from './spec';
import { decidePaired, detectable, noiseEstimate } from './stats';
import type { ChecklistResult, MetricResult } from './status';

type Pairs = readonly { readonly baseline: number; readonly candidate: number }[];

/** Relative targets on noisy metrics are decided by paired runs against the baseline worktree. */
export function isPaired(metric: MetricSpec): boolean {
  return 'relative' in metric.target && !isDeterministic(metric);
}

/**
 * The paired runs so far, judged by the sign test against the `relative` target: the metric's result once decided
 * (undecided at the cap counts as not met), else how many more pairs to run.
 */
export function pairedOutcome(
  metric: MetricSpec,
  relative: number,
  pairs: Pairs,
  durationMs: number,
): { readonly result: MetricResult } | { readonly morePairs: number } {
  const d = decidePaired({ direction: metric.direction, relative, pairs });
  if (d.verdict === 'INCONCLUSIVE' && d.morePairs !== 0) return { morePairs: d.morePairs };
  return {
    result: {
      name: metric.name,
      value: median(pairs.map((p) => p.candidate)),
      samples: pairs.length,
      durationMs,
      verdict: d.verdict === 'INCONCLUSIVE' ? 'NOT_MET' : d.verdict,
      pairs: { passes: d.passes, n: d.pairs },
    },
  };
}

/** A checklist item with a command is verified when the command exits 0. */
export function commandVerdict(
  item: string,
  command: string,
  run: { readonly passed: boolean; readonly exitCode: number | null },
): ChecklistResult {
  return {
    item,
    verified: run.passed,
    by: 'command',
    reason: run.passed ? `\`${command}\` exits 0` : `\`${command}\` exited ${run.exitCode ?? 'by a signal'}`,
  };
}

/** Why a check that fails before any change matters: the goal has to make it pass. */
export function failsAtBaselineWarning(check: string): string {
  return `check "${check}" fails at baseline, before any change: the goal must make it pass`;
}

/**
 * Why a paired metric's target cannot be told from noise, judged from A/A runs (the baseline against itself), or
 * null when it can, or when there is nothing to judge (no finite pair, no relative target).
 */
export function noiseWarning(metric: MetricSpec, pairs: Pairs): string | null {
  const finite = pairs.filter((p) => Number.isFinite(p.baseline) && Number.isFinite(p.candidate));
  if (finite.length === 0 || !('relative' in metric.target)) return null;
  const noise = noiseEstimate(
    finite.map((p) => p.baseline),
    finite.map((p) => p.candidate),
  ).relativeSpread;
  if (detectable(metric.target.relative, noise)) return null;
  return `metric ${metric.name}: the target (${(metric.target.relative * 100).toFixed(0)}%) is within the measurement noise (±${(noise * 100).toFixed(1)}% between identical runs); verdicts may stay INCONCLUSIVE: steady the measurement or aim further`;
}
