/**
 * How a goal ends: the guard against steering one that has, the review and clean-up (what the clean-up may not
 * break, and its fate), the final report, and the final status.
 */
import type { FinalStatus, IntegrityViolation, VerificationRound } from '../status';
import { cleanupTurnNote } from './agent-text';
import { metricStatuses, verdictFor } from './criteria';
import { event, needsAttention } from './events';
import type { GoalState } from './state';
import { note } from './turn';
import { measurableMet } from './verification';

/** Throws "the goal has already ended (status): <consequence>" once the goal is finalizing or done. */
export function assertRunning(s: Pick<GoalState, 'phase' | 'status'>, consequence: string): void {
  if (s.phase === 'done' || s.phase === 'finalizing') {
    throw new Error(`the goal has already ended (${s.status}): ${consequence}`);
  }
}

export function finish(s: GoalState, status: FinalStatus, reason: string, now: number): void {
  s.progressVersion += 1;
  s.status = status;
  s.reason = reason;
  s.phase = 'done';
  s.endedAt = now;
  s.waiting = null;
  event(s, `${status}: ${reason}`, now, 'final');
}

/** The agent's review of its attempts, shown to it again at the first clean-up turn and kept for the report. */
export function recordReflection(s: GoalState, text: string, now: number): void {
  s.finalization.reflection = text;
  event(s, 'reflected on the attempts', now);
}

/** Tells the agent what clean-up turn `k` of `n` is for. */
export function noteCleanupTurn(s: GoalState, ending: { status: FinalStatus; reason: string }, k: number, n: number) {
  note(s, cleanupTurnNote(ending, s.finalization.reflection, k, n));
}

/** Where each criterion stood before the clean-up: what the clean-up must not lose. */
export interface CleanupStart {
  readonly achieved: boolean;
  readonly met: ReadonlySet<string>;
  readonly passing: ReadonlySet<string>;
  readonly holdout: ReadonlySet<string>;
}

export function cleanupStart(s: GoalState, achieved: boolean): CleanupStart {
  return {
    achieved,
    met: new Set(
      metricStatuses(s)
        .filter((m) => m.verdict === 'MET')
        .map((m) => m.name),
    ),
    passing: new Set(s.checks.filter((c) => c.latest).map((c) => c.name)),
    holdout: new Set(s.holdout.filter((h) => h.latest).map((h) => h.name)),
  };
}

/** The clean-up touched the evaluator: that alone breaks it. */
export function cleanupTampered(violations: readonly IntegrityViolation[]): string {
  return `it changed protected files: ${violations.map((v) => v.path).join(', ')}`;
}

/** What the clean-up broke, judged by the round measured after it, or null when everything holds as before. */
export function cleanupBroke(s: GoalState, before: CleanupStart, round: VerificationRound): string | null {
  const lost = [
    ...round.metrics
      .filter((m) => before.met.has(m.name) && (m.verdict ?? verdictFor(s, m.name, m.value)) !== 'MET')
      .map((m) => `metric ${m.name} no longer meets its target`),
    ...round.checks.filter((c) => before.passing.has(c.name) && !c.passed).map((c) => `check "${c.name}" fails`),
    ...round.holdout.filter((c) => before.holdout.has(c.name) && !c.passed).map(() => 'a held-out check fails'),
  ];
  if (lost.length === 0 && before.achieved && !measurableMet(s, round)) lost.push('the criteria no longer all hold');
  return lost.length > 0 ? lost.join('; ') : null;
}

/** The clean-up turns left the workspace as it was verified. */
export function cleanupChangedNothing(s: GoalState, turns: number): void {
  s.finalization.cleanup = { ran: true, turns, kept: true, reason: 'the clean-up changed nothing' };
}

/** The clean-up changed files and every criterion still holds: its changes stay. */
export function cleanupKept(s: GoalState, turns: number, now: number): void {
  s.finalization.cleanup = { ran: true, turns, kept: true, reason: null };
  event(s, 'clean-up kept: the criteria still hold as before', now);
}

/** The clean-up broke something and the workspace was reverted to the `checkpoint` commit: the user is told. */
export function cleanupReverted(s: GoalState, turns: number, broken: string, checkpoint: string, now: number): void {
  s.finalization.cleanup = { ran: true, turns, kept: false, reason: `reverted: ${broken}` };
  needsAttention(s, `the clean-up broke the goal (${broken}); it was reverted to ${checkpoint.slice(0, 10)}`, now);
}

/** The final report was written to the goal store. */
export function recordReport(s: GoalState, paths: { markdown: string; html: string }): void {
  s.finalization.report = { markdown: paths.markdown, html: paths.html };
}
