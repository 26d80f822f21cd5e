/**
 * The goal's watchdog at work (goal/watchdog.ts has the rules): repeated failing calls, blockers and stalls alert the
 * user or stop the goal; and the waits the agent asks for, and model outages, which the goal sits out.
 */
import {
  afterToolCall,
  afterTurn,
  declareBlocker as declare,
  workspaceChanged as changed,
  type Watch,
} from '../watchdog';
import { waitOverNote } from './agent-text';
import { hoursUsed } from './budget';
import { event, needsAttention } from './events';
import type { GoalState } from './state';
import { note } from './turn';

/** Ends the goal at the next boundary (the loop checks `stop`); the first reason stands. */
export function stopWith(s: Pick<GoalState, 'stop'>, status: 'stalled' | 'blocked', reason: string): void {
  s.stop ??= { status, reason };
}

/** Carries out a watchdog verdict: an alert (and a word to the agent), or a stop. */
export function act(s: GoalState, w: Watch, now: number): void {
  if (w.kind === 'attention') {
    needsAttention(s, w.text, now);
    if (w.noteForAgent) note(s, w.noteForAgent);
  } else if (w.kind === 'stop') {
    stopWith(s, w.status, w.reason);
  }
}

/** A tool call's outcome: repeated identical failures alert the user, then stall the goal. */
export function recordToolOutcome(s: GoalState, call: { sig: string; summary: string; failed: boolean }, now: number) {
  act(s, afterToolCall(s.watch, s.spec.stall, call), now);
}

/** Files changed since the last verification: repeated failures from before no longer count as "the same". */
export function workspaceChanged(s: Pick<GoalState, 'watch'>): void {
  changed(s.watch);
}

/** The agent declared a blocker this turn (the `blocked` tool). */
export function declareBlocker(s: Pick<GoalState, 'watch'>, reason: string): void {
  declare(s.watch, reason);
}

/** End of a turn's tool calls: blockers on consecutive turns alert, then block the goal. */
export function endTurn(s: GoalState, now: number): void {
  act(s, afterTurn(s.watch), now);
}

function lastGuidanceAt(s: Pick<GoalState, 'guidance'>): number {
  return s.guidance.at(-1)?.at ?? 0;
}

/** The agent asked to wait (the `wait` tool): until then, capped by what is left of the hours budget. */
export function requestWait(s: GoalState, minutes: number, reason: string, now: number): void {
  const maxHours = s.spec.budget.maxHours;
  const left = maxHours === undefined ? Infinity : Math.max(0, maxHours - hoursUsed(s, now)) * 3_600_000;
  const until = now + Math.min(minutes * 60_000, left);
  s.waiting = { until, reason, lastGuidanceAt: lastGuidanceAt(s) };
  event(
    s,
    `waiting ${Math.round((until - now) / 60_000)} min (until ${new Date(until).toISOString()}): ${reason}`,
    now,
  );
}

/** The user paused, edited the goal or sent guidance since the wait began (the wait's own end aside). */
export function waitCutShort(s: GoalState): boolean {
  const w = s.waiting;
  if (!w) return true;
  return s.paused !== null || s.pendingEdits.length > 0 || lastGuidanceAt(s) !== w.lastGuidanceAt;
}

/** Whether a wait should end now: its time is up, or the user paused, edited or guided since it began. */
export function waitOver(s: GoalState, now: number): boolean {
  const w = s.waiting;
  if (!w) return true;
  return now >= w.until || waitCutShort(s);
}

export function endWait(s: GoalState, now: number): void {
  if (!s.waiting) return;
  const early = now < s.waiting.until;
  s.waiting = null;
  note(s, waitOverNote(early));
}

/** Model retries are exhausted: the outage is recorded (once) and the user alerted. */
export function modelOutage(s: GoalState, error: string, now: number): void {
  if (!s.outage) {
    s.outage = { since: now, error };
    needsAttention(s, `the model is unreachable (${error}); retrying`, now);
  } else {
    s.outage.error = error;
  }
}
