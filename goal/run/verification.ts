/**
 * What the orchestrator's measurements mean for the goal: the baseline, each verification round (new bests, the
 * verdict, what the agent is told when it falls short), held-out and checklist results, and tampering with the
 * evaluator.
 */
import { baselineProblem, better, verdictOf } from '../decision';
import type { ChecklistResult, CheckResult, IntegrityViolation, MetricResult, VerificationRound } from '../status';
import { formatValue } from '../values';
import { afterVerification } from '../watchdog';
import { baselineNote, integrityViolationNote, notMetNote, unmeasuredAtBaselineNote } from './agent-text';
import { checkState, describeCriteria, metricSpec, metricState, metricStatuses, progress } from './criteria';
import { event, needsAttention } from './events';
import type { GoalState } from './state';
import { note } from './turn';
import { act } from './watch';

/** Outcome of one verification round. */
export interface VerificationOutcome {
  readonly achieved: boolean;
  readonly summary: string;
  /** Metrics that reached a new best value in this round. */
  readonly newBest: readonly string[];
}

/** Whether every criterion holds as last recorded: metrics, checks, held-out checks, the checklist. */
function assess(s: GoalState): VerificationOutcome {
  const achieved =
    metricStatuses(s).every((m) => m.verdict === 'MET') &&
    s.checks.every((c) => c.latest === true) &&
    s.holdout.every((h) => h.latest === true) &&
    s.checklist.every((c) => c.verified === true);
  return { achieved, summary: describeCriteria(s), newBest: [] };
}

/** A baseline measurement is also the latest and the best value so far. */
export function setBaseline(s: GoalState, r: MetricResult): void {
  const m = metricState(s, r.name);
  m.baseline = r.value;
  m.latest = r.value;
  m.best = r.value;
  m.lastError = r.error;
}

/** Reasons the criteria cannot be decided from the recorded baseline (the goal cannot start). */
export function baselineProblems(s: GoalState): string[] {
  return s.metrics
    .map((m) => baselineProblem(metricSpec(s, m.name), m.baseline, m.lastError))
    .filter((p): p is string => p !== null);
}

/** Records the baseline; the outcome says whether the criteria already hold (nothing to do). */
export function recordBaseline(
  s: GoalState,
  metrics: readonly MetricResult[],
  checks: readonly CheckResult[],
  fingerprint: string,
  now: number,
): VerificationOutcome {
  s.progressVersion += 1;
  for (const r of metrics) setBaseline(s, r);
  for (const r of checks) {
    const c = checkState(s, r.name);
    c.baseline = r.passed;
    c.latest = r.passed;
  }
  s.verifiedFingerprint = fingerprint;
  const outcome = assess(s);
  const criteria = describeCriteria(s);
  event(s, `Baseline: ${criteria}`, now, 'baseline');
  note(s, baselineNote(criteria, outcome.achieved));
  const broken = metrics.filter((r) => r.value === null);
  if (broken.length > 0) note(s, unmeasuredAtBaselineNote(broken));
  return outcome;
}

/** Whether a verification is due: the agent claimed done, or the workspace changed since the last one. */
export function needsVerification(s: GoalState, fingerprint: string, claimedDone: boolean): boolean {
  return claimedDone || fingerprint !== s.verifiedFingerprint;
}

/** Holdout and checklist results of a verification round (before recordBaseline/recordVerification). */
export function recordExtras(
  s: GoalState,
  holdout: readonly CheckResult[],
  checklist: readonly ChecklistResult[],
): void {
  for (const h of holdout) {
    const x = s.holdout.find((y) => y.name === h.name);
    if (x) x.latest = h.passed;
  }
  for (const c of checklist) {
    const x = s.checklist.find((y) => y.item === c.item);
    if (x) Object.assign(x, { verified: c.verified, by: c.by, reason: c.reason });
  }
}

/** Records a verification round: latest values, new bests, the verdict, and what the agent must know if not met. */
export function recordVerification(
  s: GoalState,
  metrics: readonly MetricResult[],
  checks: readonly CheckResult[],
  fingerprint: string,
  claimedDone: boolean,
  now: number,
): VerificationOutcome {
  s.progressVersion += 1;
  const newBest: string[] = [];
  for (const r of metrics) {
    const m = metricState(s, r.name);
    m.latest = r.value;
    m.lastError = r.error;
    if (r.verdict) m.verdict = r.verdict;
    else delete m.verdict;
    if (r.pairs) m.pairs = r.pairs;
    else delete m.pairs;
    if (r.value !== null && (m.best === null || better(metricSpec(s, r.name).direction, r.value, m.best))) {
      m.best = r.value;
      newBest.push(r.name);
    }
  }
  for (const r of checks) checkState(s, r.name).latest = r.passed;
  s.verifiedFingerprint = fingerprint;
  const outcome = assess(s);
  // Routine verifications stay out of Slack; a claimed `done` and the verdict that ends the goal are news.
  const news = claimedDone || outcome.achieved ? 'verification' : undefined;
  event(s, `verified after turn ${s.turn}: ${outcome.summary}`, now, news);
  if (!outcome.achieved) {
    note(
      s,
      notMetNote({
        claimedDone,
        summary: outcome.summary,
        metrics,
        failedChecks: checks.filter((c) => !c.passed),
        failedHoldout: s.holdout.filter((h) => h.latest === false).length,
        unverified: s.checklist.filter((x) => x.verified === false),
      }),
    );
  }
  if (newBest.length > 0) {
    const what = newBest.map((n) => {
      const m = metricState(s, n);
      return `${n} ${formatValue(m.baseline)} → ${formatValue(m.best)}`;
    });
    event(s, `new best: ${what.join(', ')}`, now, 'new_best');
    s.attention = null;
  }
  if (!outcome.achieved) act(s, afterVerification(s.watch, s.spec.stall, progress(s), newBest.length > 0), now);
  return { ...outcome, newBest };
}

/** Whether a round met every measurable criterion (metrics, checks, held-out checks, command checklist items). */
export function measurableMet(s: GoalState, round: VerificationRound): boolean {
  return (
    round.metrics.every(
      (m) => (m.verdict ?? verdictOf(metricSpec(s, m.name), m.value, metricState(s, m.name).baseline)) === 'MET',
    ) &&
    round.checks.every((c) => c.passed) &&
    round.holdout.every((c) => c.passed) &&
    round.checklist.every((c) => c.verified)
  );
}

/**
 * A protected path was changed: the measurement is discarded (the workflow does not record it), the
 * files were restored, and the agent is told.
 */
export function recordIntegrityViolation(
  s: GoalState,
  violations: readonly IntegrityViolation[],
  restored: readonly string[],
  now: number,
): void {
  const paths = violations.map((v) => `${v.path} (${v.change})`);
  s.integrity.violations += 1;
  s.integrity.last = { at: now, turn: s.turn, paths: paths.slice(0, 20) };
  s.verifiedFingerprint = null;
  note(s, integrityViolationNote(paths, restored));
  needsAttention(
    s,
    `integrity violation after turn ${s.turn}: ${paths.join(', ')} (restored, measurement discarded)`,
    now,
  );
}
