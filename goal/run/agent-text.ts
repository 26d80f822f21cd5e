/**
 * Every text the orchestrator writes for a model: the notes the agent reads at its next turn (edits, guidance,
 * resumes, waits, verification failures, integrity violations, the baseline, moves, the clean-up) and the
 * evidence the checklist judge decides from. Pure strings; GoalRun decides when each is sent.
 */
import type { MetricResult, VerificationRound } from '../status';

export const NO_TOOL_CALL_NOTE =
  'You called no tool. Keep working toward the goal with the tools, or call `done` if you believe the criteria are met.';

export const RESUMED_NOTE = 'The goal was paused by the user and has been resumed. Continue where you left off.';

/** After a wait the agent asked for: cut short by the user, or over at its time. */
export function waitOverNote(early: boolean): string {
  return early
    ? 'Your wait was cut short (the user paused, edited the goal or sent guidance). Continue from here.'
    : 'The wait you asked for is over. Continue from here.';
}

export function guidanceNote(text: string): string {
  return `Guidance from the user: ${text}`;
}

/** An edit the user made took effect at this turn boundary. */
export function editAppliedNote(version: number, reason: string | undefined, changes: readonly string[]): string {
  return [
    `GOAL UPDATED by the user to version ${version}${reason ? ` (reason: ${reason})` : ''}:`,
    ...changes.map((c) => `- ${c}`),
    'The goal and criteria in your instructions are now current; plan your next step against them.',
  ].join('\n');
}

/** The new baselines of metrics an edit re-baselined (also the event's text). */
export function rebaselineText(results: readonly MetricResult[]): string {
  return `New baseline after the edit: ${results.map((r) => `${r.name} = ${r.value ?? `n/a (${r.error ?? 'no value'})`}`).join(', ')}`;
}

/** The baseline as measured (`criteria`: one line per criterion); the agent learns who measures from then on. */
export function baselineNote(criteria: string, achieved: boolean): string {
  return `Baseline: ${criteria}${achieved ? '' : '\nThe orchestrator measures these itself after you change files or call `done`.'}`;
}

export function unmeasuredAtBaselineNote(broken: readonly MetricResult[]): string {
  return `Some metrics could not be measured at baseline: ${broken.map((b) => `${b.name} (${b.error ?? 'no value'})`).join('; ')}.`;
}

/** Why a verification says the goal is not met: the criteria, then every failure the agent can act on. */
export function notMetNote(v: {
  readonly claimedDone: boolean;
  readonly summary: string;
  readonly metrics: readonly MetricResult[];
  readonly failedChecks: readonly { name: string; exitCode: number | null; excerpt: string }[];
  readonly failedHoldout: number;
  readonly unverified: readonly { item: string; by: string | null; reason: string | null }[];
}): string {
  const details = v.failedChecks.map((c) => `Check "${c.name}" failed (exit ${c.exitCode ?? 'none'}):\n${c.excerpt}`);
  if (v.failedHoldout > 0) {
    details.push(
      `${v.failedHoldout} held-out check${v.failedHoldout === 1 ? '' : 's'} (hidden from you on purpose) failed: the change must work in general, not only for the visible tests.`,
    );
  }
  for (const c of v.unverified) {
    details.push(`Checklist item not verified (${c.by ?? 'unchecked'}): "${c.item}" — ${c.reason ?? ''}`);
  }
  const errors = v.metrics.filter((r) => r.error).map((r) => `Metric ${r.name}: ${r.error ?? ''}`);
  return [
    `${v.claimedDone ? 'You called `done`, but the' : 'The'} orchestrator's verification says the goal is not met yet: ${v.summary}`,
    ...errors,
    ...details,
  ].join('\n');
}

/** The agent changed the evaluator: what was restored, and that the measurement does not count. */
export function integrityViolationNote(paths: readonly string[], restored: readonly string[]): string {
  return [
    `INTEGRITY VIOLATION: you changed protected files: ${paths.join(', ')}.`,
    "The goal's tests, benchmarks and measurement scripts may not be changed. They have been restored and this round's measurement was discarded.",
    ...restored.map((r) => `- ${r}`),
    'Reach the goal by changing the code under test, not the evaluator.',
  ].join('\n');
}

export function movedNote(workspace: string, commit: string): string {
  return `The goal moved to another machine: the workspace (${workspace}) was re-cloned from the goal branch at ${commit.slice(0, 10)}. Changes made after that commit are not here; check the files before you rely on earlier turns.`;
}

/** The instructions for clean-up turn `k` of `n`; the first one also shows the agent its own review. */
export function cleanupTurnNote(
  ending: { readonly status: string; readonly reason: string },
  reflection: string | null,
  k: number,
  n: number,
): string {
  return [
    `FINALIZING — clean-up turn ${k} of ${n}. The goal has ended (${ending.status}: ${ending.reason}); no new work now.`,
    ...(k === 1 && reflection ? [`Your review of the attempts:\n${reflection}`] : []),
    'Remove the leftovers of ineffective attempts from the diff — debug output, dead flags or options, unused files or functions, commented-out code — without changing what the code does. Keep every change that serves the goal.',
    'The orchestrator re-verifies afterwards and reverts the whole clean-up if any criterion breaks. Call `done` when the diff is clean, or at once if there is nothing to remove.',
  ].join('\n\n');
}

/** What the judge of checklist items without a command is shown: this round's measurements, one line each. */
export function judgeEvidence(round: VerificationRound): string[] {
  return [
    ...round.metrics.map((m) => `metric ${m.name}: ${m.value ?? 'n/a'}${m.verdict ? ` (${m.verdict})` : ''}`),
    ...round.checks.map((c) => `check "${c.name}": ${c.passed ? 'passes' : 'fails'}`),
    ...round.checklist.map((c) => `checklist "${c.item}": ${c.reason}`),
  ];
}
