/**
 * The dashboard's home rows, read from Temporal visibility in one request: the goal workflows (the latest run of
 * each, not the runs that continued-as-new) with the search attributes the goal keeps up to date.
 */
import type { Client } from '@temporalio/client';
import { GOAL_LIST_QUERY, goalListEntry, type GoalListEntry } from '../goals';

/** One goal as visibility shows it, with its run. */
export interface GoalRow extends GoalListEntry {
  readonly runId: string;
  /** `LonghaulStatus`; for a run that closed without saying (terminated, timed out), the execution's status. */
  readonly status: string;
  readonly closedAt: string | null;
}

/** Goals in the first visibility page (newest first); more than this are not shown. */
export const MAX_GOALS = 1000;

/** Lists the goals with one ListWorkflowExecutions request (up to MAX_GOALS); a reused goal id shows its newest run. */
export async function listGoalRows(client: Client, max = MAX_GOALS): Promise<GoalRow[]> {
  const rows: GoalRow[] = [];
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query: GOAL_LIST_QUERY, pageSize: max })) {
    if (rows.length >= max) break;
    if (seen.has(wf.workflowId)) continue;
    seen.add(wf.workflowId);
    const entry = goalListEntry(wf);
    rows.push({
      ...entry,
      runId: wf.runId,
      status:
        entry.status === 'running' && entry.execution !== 'RUNNING' ? entry.execution.toLowerCase() : entry.status,
      closedAt: wf.closeTime ? wf.closeTime.toISOString() : null,
    });
  }
  return rows;
}
