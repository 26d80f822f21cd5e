/**
 * The final milestone: the workspace's files plus the final report, committed on the goal branch without
 * writing the report into the user's working tree. The report is rendered here from the same small input as
 * writeFinalReport (so no report text travels through workflow history), with held-out checks unnamed.
 */
import { commitMilestone, type CommitMilestoneResult } from '../../workspace/milestone';
import type { GoalStore } from '../../store/types';
import { renderFinalReport, REPORT_FILES, type FinalReportInput } from './final';

export interface CommitFinalReportInput {
  readonly report: FinalReportInput;
  /** @default `${status}: final report` */
  readonly message?: string;
  /** Where the report goes in the commit (workspace-relative, '/' separators). @default 'REPORT.md' */
  readonly path?: string;
}

/**
 * Commits the workspace and the report on the view's goal branch (from its start commit). Nothing is committed
 * when the goal has no start commit (no git workspace); a retry finds the same tree and adds nothing.
 */
export async function commitFinalReport(
  store: GoalStore,
  input: CommitFinalReportInput,
): Promise<CommitMilestoneResult> {
  const { view } = input.report;
  if (view.startCommit === null) return { commit: null, created: false };
  const { markdown } = renderFinalReport(
    { ...input.report, hideHoldoutNames: true },
    await store.readLedger(view.goalId),
  );
  return commitMilestone({
    workspace: view.workspace,
    branch: view.milestones.branch,
    startCommit: view.startCommit,
    message: input.message ?? `${view.status}: final report`,
    extraFiles: { [input.path ?? REPORT_FILES.markdown]: markdown },
  });
}
