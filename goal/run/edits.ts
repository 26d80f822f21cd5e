/**
 * The user steering a running goal: edits (checked against the goal as it will stand, queued, applied at a turn
 * boundary with the metrics that need a new baseline), guidance for the agent, pause/resume, and who asked to cancel;
 * each recorded with who did it when the message says (`by`).
 */
import { byText, type Actor } from '../actor';
import { applyEditToSpec, describeChanges, metricsToRebaseline, type GoalEdit } from '../edit';
import type { GoalSpec } from '../spec';
import type { MetricResult } from '../status';
import { editAppliedNote, guidanceNote, rebaselineText, RESUMED_NOTE } from './agent-text';
import { hoursUsed } from './budget';
import { event } from './events';
import { assertRunning } from './finish';
import { uncheckedChecklist, type GoalState } from './state';
import { note } from './turn';
import { setBaseline } from './verification';

/** Applied edits kept in the state (and in `status`); the goal version still counts them all. */
export const MAX_EDIT_RECORDS = 100;
/** Guidance entries kept in the state (and shown in the brief); older ones are dropped. */
export const MAX_GUIDANCE_ENTRIES = 50;
/** Longest guidance text accepted; longer text is cut with a marker. */
export const MAX_GUIDANCE_CHARS = 4000;

/** Applying an accepted edit: what is spent no longer matters (validateEdit checked it). */
const NOTHING_SPENT = { turns: 0, tokens: 0, hours: 0 };

/** The spec as it will be once every pending edit is applied. */
function projectedSpec(s: GoalState): GoalSpec {
  return s.pendingEdits.reduce((spec, p) => applyEditToSpec(spec, p.edit, NOTHING_SPENT), s.spec);
}

/**
 * Checks an edit against the goal as it will stand (pending edits included) and what is already spent;
 * throws InvalidEditError, leaving everything unchanged. Returns the changes it would make.
 */
export function validateEdit(s: GoalState, edit: GoalEdit, now: number): string[] {
  assertRunning(s, 'edits only apply to running goals');
  const before = projectedSpec(s);
  const after = applyEditToSpec(before, edit, {
    turns: s.turn,
    tokens: s.tokens.total,
    hours: hoursUsed(s, now),
    costUsd: s.costUsd,
  });
  const changes = describeChanges(before, after);
  if (changes.length === 0) throw new Error('the edit changes nothing: the goal already reads that way');
  return changes;
}

/** Accepts a validated edit for the next turn boundary; returns the goal version it creates. */
export function queueEdit(
  s: GoalState,
  edit: GoalEdit,
  now: number,
  by?: Actor,
): { goalVersion: number; changes: string[] } {
  const changes = validateEdit(s, edit, now);
  const version = s.goalVersion + s.pendingEdits.length + 1;
  s.pendingEdits.push({ version, edit, at: now, ...(by ? { by } : {}) });
  event(
    s,
    `edit accepted (version ${version})${byText(by)}, applies at the next turn boundary: ${changes.join('; ')}`,
    now,
  );
  return { goalVersion: version, changes };
}

/**
 * Applies the pending edits (at a turn boundary): the spec, the metric and check states, the version
 * history, and a notice for the agent. Returns the metrics that need a new baseline.
 */
export function applyPendingEdits(s: GoalState, now: number): string[] {
  s.progressVersion += 1;
  const rebaseline = new Set<string>();
  for (const pending of s.pendingEdits) {
    const before = s.spec;
    const after = applyEditToSpec(before, pending.edit, NOTHING_SPENT);
    const changes = describeChanges(before, after);
    for (const name of metricsToRebaseline(before, after)) rebaseline.add(name);
    s.spec = after;
    // A new target voids a verdict decided against the old one (the next verification decides again).
    for (const m of after.metrics) {
      const old = before.metrics.find((o) => o.name === m.name);
      const state = s.metrics.find((x) => x.name === m.name);
      if (old && state && JSON.stringify(old.target) !== JSON.stringify(m.target)) {
        delete state.verdict;
        delete state.pairs;
      }
    }
    s.metrics = after.metrics.map(
      (m) =>
        s.metrics.find((x) => x.name === m.name && !rebaseline.has(m.name)) ?? {
          name: m.name,
          baseline: null,
          latest: null,
          best: null,
        },
    );
    s.checks = after.checks.map((c) => {
      const old = before.checks.find((x) => x.name === c.name);
      const state = s.checks.find((x) => x.name === c.name);
      return old && state && old.command === c.command ? state : { name: c.name, baseline: null, latest: null };
    });
    s.checklist = uncheckedChecklist(after).map((c) => s.checklist.find((x) => x.item === c.item) ?? c);
    s.goalVersion = pending.version;
    s.history.push({
      version: pending.version,
      at: now,
      turn: s.turn,
      changes,
      reason: pending.edit.reason ?? null,
      ...(pending.by ? { by: pending.by } : {}),
    });
    if (s.history.length > MAX_EDIT_RECORDS) s.history.shift();
    note(s, editAppliedNote(pending.version, pending.edit.reason, changes));
    event(s, `goal updated to version ${pending.version}${byText(pending.by)}: ${changes.join('; ')}`, now, 'edit');
  }
  s.pendingEdits = [];
  for (const name of [...rebaseline]) if (!s.spec.metrics.some((m) => m.name === name)) rebaseline.delete(name);
  // A changed criterion must be verified again even if no file changes.
  s.verifiedFingerprint = null;
  return [...rebaseline];
}

/** Records new baselines for re-baselined metrics. */
export function recordRebaseline(s: GoalState, results: readonly MetricResult[], now: number): void {
  s.progressVersion += 1;
  for (const r of results) setBaseline(s, r);
  if (results.length > 0) {
    const text = rebaselineText(results);
    note(s, text);
    event(s, text, now);
  }
}

/** Appends guidance from the user; it reaches the agent at the next turn and stays in the brief. */
export function guide(s: GoalState, text: string, now: number, by?: Actor): void {
  let t = text.trim();
  if (t === '') return;
  if (t.length > MAX_GUIDANCE_CHARS) t = `${t.slice(0, MAX_GUIDANCE_CHARS)} […cut at ${MAX_GUIDANCE_CHARS} characters]`;
  s.guidance.push({ at: now, turn: s.turn, text: t, ...(by ? { by } : {}) });
  if (s.guidance.length > MAX_GUIDANCE_ENTRIES) s.guidance.shift();
  note(s, guidanceNote(t));
  event(s, `guidance received${byText(by)}: ${t.length > 80 ? `${t.slice(0, 77)}...` : t}`, now);
}

/** Pauses at the next turn boundary. Idempotent. */
export function pause(s: GoalState, reason: string | null, now: number, by?: Actor): void {
  assertRunning(s, 'there is nothing to pause');
  if (s.paused) return;
  s.paused = { since: now, reason };
  event(s, `paused${byText(by)}${reason ? `: ${reason}` : ''}`, now, 'paused');
}

/** Resumes a paused goal. Idempotent. */
export function resume(s: GoalState, now: number, by?: Actor): void {
  if (!s.paused) return;
  s.pausedMs += now - s.paused.since;
  s.paused = null;
  note(s, RESUMED_NOTE);
  event(s, `resumed${byText(by)}`, now, 'resumed');
}

/** Someone is about to cancel the goal (the Temporal cancel follows): recorded, and named in the final reason. */
export function cancelRequested(s: GoalState, now: number, by?: Actor): void {
  if (s.phase === 'done') return;
  if (by) s.cancelledBy = by;
  event(s, `cancel requested${byText(by)}`, now);
}

/** A side question was answered for someone who said who they are (others' questions leave no event). */
export function asked(s: GoalState, question: string, now: number, by?: Actor): void {
  if (!by) return;
  event(
    s,
    `side question answered${byText(by)}: ${question.length > 80 ? `${question.slice(0, 77)}...` : question}`,
    now,
  );
}

/** The reason a cancelled goal ends with. */
export function cancelReason(s: Pick<GoalState, 'cancelledBy'>): string {
  return `cancelled${s.cancelledBy ? byText(s.cancelledBy) : ' by the user'}`;
}
