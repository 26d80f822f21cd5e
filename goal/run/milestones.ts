/** The goal branch: milestone commits landed on it, whether it reached `git.remote`, and its pull request (git.pr). */
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

/** The pull request was synced: its first sighting (also one found again after a crash) and its un-drafting are events. */
export function recordPullRequest(
  s: GoalState,
  pr: { number: number; url: string; draft: boolean },
  now: number,
): void {
  const before = s.finalization.pullRequest;
  s.finalization.pullRequest = { number: pr.number, url: pr.url, draft: pr.draft, error: null };
  if (before?.number !== pr.number) {
    event(
      s,
      `${pr.draft ? 'draft ' : ''}pull request #${pr.number} for ${s.milestones.branch}: ${pr.url}`,
      now,
      'milestone',
    );
  } else if (before.draft && !pr.draft) {
    event(s, `pull request #${pr.number} is ready for review: ${pr.url}`, now, 'milestone');
  }
}

/** Syncing the pull request failed (or this worker has no GitHub access); a new problem needs attention, once. */
export function pullRequestFailed(s: GoalState, error: string, now: number): void {
  const before = s.finalization.pullRequest;
  s.finalization.pullRequest = { number: null, url: null, draft: true, ...before, error };
  if (before?.error !== error) needsAttention(s, `pull request: ${error}`, now);
}
