/**
 * Milestone commits on the goal branch: after each new best, before a clean-up and at the end (with the final
 * report), each pushed to `git.remote` when one is set, and the pull request synced after it (git.pr). A failure is
 * reported, never fatal.
 */
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { GoalRun } from '../goal/run';
import type { Acts } from './proxies';
import { syncPullRequest } from './pull-request';

/** Commits the workspace as it stands; returns the goal branch's commit (null when milestones are off or failed). */
export async function milestone(run: GoalRun, acts: Acts, why: string): Promise<string | null> {
  const { startCommit, milestones } = run.state;
  if (!run.spec.git.milestones || !startCommit) return null;
  const what = `${why}: ${run.metricChange() || run.describeCriteria()}`;
  const before = milestones.count;
  const tip = await commit(run, acts, why, what, () =>
    acts.quick.commitMilestone.executeWithOptions({ summary: `milestone: ${why}` }, [
      {
        workspace: run.spec.workspace,
        branch: milestones.branch,
        startCommit,
        message: `longhaul: ${what}\n\nGoal ${run.state.goalId}, turn ${run.state.turn}: ${run.spec.objective}`,
      },
    ]),
  );
  if (run.state.milestones.count !== before) await syncPullRequest(run, acts, false); // a new milestone was pushed
  return tip;
}

/** The final milestone: the workspace plus REPORT.md (rendered by the activity; the user's tree is not touched). */
export async function finalMilestone(run: GoalRun, acts: Acts): Promise<string | null> {
  if (!run.spec.git.milestones || !run.state.startCommit) return null;
  const why = run.state.status === 'achieved' ? 'achieved' : `final (${run.state.status})`;
  const what = `${why}: ${run.metricChange() || run.describeCriteria()}`;
  const tip = await commit(run, acts, why, `${what} + REPORT.md`, () =>
    acts.quick.commitFinalReport.executeWithOptions({ summary: `milestone: ${why} + report` }, [
      {
        report: {
          goalId: run.state.goalId,
          view: run.view(Date.now()),
          reflection: run.state.finalization.reflection,
          cleanup: run.state.finalization.cleanup,
          tokens: { input: run.state.tokens.input, output: run.state.tokens.output },
        },
        message: `longhaul: ${what}\n\nGoal ${run.state.goalId}, turn ${run.state.turn}: ${run.spec.objective}\nThe final report is REPORT.md.`,
      },
    ]),
  );
  await syncPullRequest(run, acts, true);
  return tip;
}

async function commit(
  run: GoalRun,
  acts: Acts,
  why: string,
  what: string,
  make: () => Promise<{ commit: string | null }>,
): Promise<string | null> {
  const { branch } = run.state.milestones;
  try {
    const r = await make();
    if (r.commit) {
      const created = r.commit !== run.state.milestones.last;
      run.recordMilestone(r.commit, what, Date.now());
      if (created) await push(run, acts);
    }
    return r.commit ?? run.state.milestones.last;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    run.warn(`milestone commit (${why}) on ${branch} failed: ${err.cause?.message ?? err.message}`, Date.now());
    return null;
  }
}

/** Publishes the goal branch to `git.remote`; a failure is reported in status and Slack, never fatal. */
async function push(run: GoalRun, acts: Acts): Promise<void> {
  const remote = run.spec.git.remote;
  if (!remote) return;
  const r = await acts.quick.pushGoalBranch.executeWithOptions({ summary: `push ${run.state.milestones.branch}` }, [
    { workspace: run.spec.workspace, remote, branch: run.state.milestones.branch },
  ]);
  run.recordPush(r.pushed, r.error, Date.now());
}
