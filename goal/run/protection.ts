/**
 * Protected paths over a run: writes refused on them, counted per path until the user is asked to look (status and
 * Slack say which path, why it is protected and the edit that allows it), and the manifest taken again after an
 * `editable` edit.
 */
import { MAX_REFUSED_PATHS, REFUSALS_BEFORE_ATTENTION, refusalAgentNote, refusalAttentionText } from '../protection';
import { event, needsAttention } from './events';
import type { GoalState, RefusalState } from './state';
import { note } from './turn';

/** How the needs-attention line about refusals begins (so that a later edit can clear it). */
const REFUSAL_ATTENTION = 'the agent keeps trying to change ';

/** The refusals so far (none in states from before they were counted). */
export function refusals(s: Pick<GoalState, 'integrity'>): RefusalState[] {
  return (s.integrity.refusals ??= []);
}

/**
 * A write refused on a protected path. At the REFUSALS_BEFORE_ATTENTION-th refusal of one path the user is asked to
 * look (once per path), and the agent is told that the user knows.
 */
export function recordRefusal(
  s: GoalState,
  refused: { readonly path: string; readonly reason: string },
  now: number,
): void {
  const list = refusals(s);
  let entry = list.find((r) => r.path === refused.path);
  if (!entry) {
    entry = { path: refused.path, reason: refused.reason, count: 0, alerted: false };
    list.push(entry);
    if (list.length > MAX_REFUSED_PATHS) list.splice(0, list.length - MAX_REFUSED_PATHS);
  }
  entry.count += 1;
  entry.reason = refused.reason;
  if (entry.alerted || entry.count < REFUSALS_BEFORE_ATTENTION) return;
  entry.alerted = true;
  needsAttention(s, refusalAttentionText(s.goalId, entry.path, entry.reason, entry.count), now);
  note(s, refusalAgentNote(entry.path));
}

/** The manifest was taken again after an edit: refusals start over, and their needs-attention line goes. */
export function protectionRetaken(s: GoalState, files: number, now: number): void {
  s.integrity.protectedFiles = files;
  s.integrity.refusals = [];
  if (s.attention?.text.startsWith(REFUSAL_ATTENTION)) s.attention = null;
  event(s, `protected paths taken again after the edit: ${files} file(s) protected`, now);
}
