/**
 * The dashboard's home rows, read from Temporal visibility in one request: the goal workflows (the latest run of
 * each, not the runs that continued-as-new) with the search attributes the goal keeps up to date.
 */
import type { Client } from '@temporalio/client';
import { GOAL_WORKFLOW_TYPE } from '../../goal/messages';
import { LonghaulPhase, LonghaulProgress, LonghaulStatus, LonghaulTurns } from '../../goal/search-attributes';

/** One goal as visibility shows it. */
export interface GoalRow {
  readonly goalId: string;
  readonly runId: string;
  /** The workflow execution's status: RUNNING, COMPLETED, CANCELLED, TERMINATED, … */
  readonly execution: string;
  /** `LonghaulStatus`; for a run that closed without saying (terminated, timed out), the execution's status. */
  readonly status: string;
  readonly phase: string;
  readonly turns: number;
  /** 0–1 toward the target (`LonghaulProgress`). */
  readonly progress: number;
  readonly startedAt: string;
  readonly closedAt: string | null;
  readonly objective: string;
}

/** Goals in the first visibility page (newest first); more than this are not shown. */
export const MAX_GOALS = 1000;

/** The visibility query: goal workflows, without the runs that continued-as-new (the goal lives on in a newer run). */
export const GOAL_LIST_QUERY = `WorkflowType = '${GOAL_WORKFLOW_TYPE}' AND ExecutionStatus != 'ContinuedAsNew'`;

/** Lists the goals with one ListWorkflowExecutions request (up to MAX_GOALS); a reused goal id shows its newest run. */
export async function listGoalRows(client: Client, max = MAX_GOALS): Promise<GoalRow[]> {
  const rows: GoalRow[] = [];
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query: GOAL_LIST_QUERY, pageSize: max })) {
    if (rows.length >= max) break;
    if (seen.has(wf.workflowId)) continue;
    seen.add(wf.workflowId);
    const sa = wf.typedSearchAttributes;
    const said = sa.get(LonghaulStatus) ?? 'unknown';
    const execution = wf.status.name;
    rows.push({
      goalId: wf.workflowId,
      runId: wf.runId,
      execution,
      status: said === 'running' && execution !== 'RUNNING' ? execution.toLowerCase() : said,
      phase: sa.get(LonghaulPhase) ?? 'unknown',
      turns: sa.get(LonghaulTurns) ?? 0,
      progress: sa.get(LonghaulProgress) ?? 0,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime ? wf.closeTime.toISOString() : null,
      objective: typeof wf.memo?.objective === 'string' ? wf.memo.objective : '',
    });
  }
  return rows;
}
