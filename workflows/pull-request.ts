/**
 * The goal's draft pull request (git.pr): synced after each milestone push and once at the end (the final report;
 * ready for review when achieved). Only runs when the spec sets git.pr, so goals without it replay unchanged. A
 * failure is reported in status and Slack, never fatal; the next milestone tries again.
 */
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { GoalRun } from '../goal/run';
import type { Acts } from './proxies';

/** Opens or updates the pull request once the goal branch is on the remote; `final`: at the end of the goal. */
export async function syncPullRequest(run: GoalRun, acts: Acts, final: boolean): Promise<void> {
  const git = run.spec.git;
  if (!git.pr || !git.remote) return;
  if (run.state.finalization.push?.pushed !== true) return; // the remote does not have the goal branch (yet)
  const s = run.state;
  try {
    const r = await acts.quick.syncPullRequest.executeWithOptions(
      { summary: final ? 'pull request: final report' : 'pull request: progress' },
      [
        {
          goalId: s.goalId,
          view: run.view(Date.now()),
          remote: git.remote,
          ...(git.repo ? { repo: git.repo } : {}),
          ...(git.prBase ? { base: git.prBase } : {}),
          ...(final
            ? {
                final: {
                  reflection: s.finalization.reflection,
                  cleanup: s.finalization.cleanup,
                  tokens: { input: s.tokens.input, output: s.tokens.output },
                },
              }
            : {}),
        },
      ],
    );
    if ('off' in r) run.pullRequestFailed(r.off, Date.now());
    else run.recordPullRequest(r, Date.now());
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    run.pullRequestFailed(err.cause?.message ?? err.message, Date.now());
  }
}
