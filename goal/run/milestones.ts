/** The goal branch: milestone commits landed on it, and whether it reached `git.remote`. */
import { event, needsAttention } from './events';
import type { GoalState } from './state';

/** A milestone commit landed on the goal branch (a retry that found it already there counts once). */
export function recordMilestone(s: GoalState, commit: string, what: string, now: number): void {
  if (commit === s.milestones.last) return;
  s.milestones.last = commit;
  s.milestones.count += 1;
  event(s, `milestone ${commit.slice(0, 10)} on ${s.milestones.branch}: ${what}`, now, 'milestone');
}

/** How the last push of the goal branch went; a new push error needs the user's attention (a repeated one, once). */
export function recordPush(s: GoalState, pushed: boolean, error: string | null, now: number): void {
  const before = s.finalization.push;
  s.finalization.push = { pushed, error };
  if (!pushed && error && before?.error !== error) needsAttention(s, `push failed: ${error}`, now);
}
