/** Milestone commits on the goal branch: after each new best and at the end. A failure is reported, never fatal. */
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { GoalRun } from '../goal/run';
import type { Acts } from './proxies';

export async function milestone(run: GoalRun, acts: Acts, why: string): Promise<void> {
  const { startCommit, milestones } = run.state;
  if (!run.spec.git.milestones || !startCommit) return;
  const what = `${why}: ${run.metricChange() || run.describeCriteria()}`;
  try {
    const r = await acts.quick.commitMilestone.executeWithOptions({ summary: `milestone: ${why}` }, [
      {
        workspace: run.spec.workspace,
        branch: milestones.branch,
        startCommit,
        message: `longhaul: ${what}\n\nGoal ${run.state.goalId}, turn ${run.state.turn}: ${run.spec.objective}`,
      },
    ]);
    if (r.commit) run.recordMilestone(r.commit, what, Date.now());
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    run.warn(`milestone commit on ${milestones.branch} failed: ${err.cause?.message ?? err.message}`, Date.now());
  }
}
