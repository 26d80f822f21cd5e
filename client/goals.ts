/** Client-side goal operations shared by the CLI and tests: start, wait, status, list, cancel. */
import { WorkflowFailedError, type Client, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import type { Actor } from '../goal/actor';
import { cancelRequestedSignal, GOAL_WORKFLOW_TYPE, statusQuery } from '../goal/messages';
import { LonghaulPhase, LonghaulProgress, LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';
import type { GoalSpec } from '../goal/spec';
import { GOAL_STATUSES, type GoalOutcome, type GoalStatusName, type GoalStatusView } from '../goal/status';
import type { GoalTuning } from '../goal/tuning';
import type { GoalWorkflowInput, goalWorkflow } from '../workflows/goal';

export interface StartGoalOptions {
  readonly taskQueue: string;
  /** @default a readable id from the objective plus a random suffix */
  readonly goalId?: string;
  readonly tuning?: GoalTuning;
  /**
   * The host whose worker holds the workspace (goal/placement.ts): the goal's activities run on its task queue.
   * Absent: on any worker of the shared queue (one machine, or tests).
   */
  readonly host?: string;
}

export function goalIdFor(objective: string): string {
  return `goal-${slugOf(objective, 40) || 'untitled'}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Lower-case words joined by dashes, at most `max` characters: the readable part of a workflow id. */
export function slugOf(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

export async function startGoal(
  client: Client,
  spec: GoalSpec,
  opts: StartGoalOptions,
): Promise<WorkflowHandle<typeof goalWorkflow>> {
  const goalId = opts.goalId ?? goalIdFor(spec.objective);
  const input: GoalWorkflowInput = {
    spec,
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
    ...(opts.host ? { host: opts.host } : {}),
  };
  return client.workflow.start<typeof goalWorkflow>(GOAL_WORKFLOW_TYPE, {
    workflowId: goalId,
    taskQueue: opts.taskQueue,
    args: [input],
    staticSummary: spec.objective.length > 200 ? `${spec.objective.slice(0, 197)}...` : spec.objective,
    memo: { objective: spec.objective.slice(0, 500) },
    typedSearchAttributes: [
      { key: LonghaulStatus, value: 'running' },
      { key: LonghaulPhase, value: 'baseline' },
      { key: LonghaulProgress, value: 0 },
      { key: LonghaulTurns, value: 0 },
    ],
  });
}

/** Waits for the goal to end; a cancelled or terminated goal is reported as such, not thrown. */
export async function waitForGoal(
  client: Client,
  goalId: string,
): Promise<{ status: GoalStatusName; outcome: GoalOutcome | null; reason: string }> {
  const handle = client.workflow.getHandle<typeof goalWorkflow>(goalId);
  try {
    const outcome = await handle.result();
    return { status: outcome.status, outcome, reason: outcome.reason };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      if (err.cause instanceof CancelledFailure)
        return { status: 'cancelled', outcome: null, reason: 'cancelled by the user' };
      if (err.cause instanceof TerminatedFailure) return { status: 'failed', outcome: null, reason: 'terminated' };
      return { status: 'failed', outcome: null, reason: err.cause?.message ?? err.message };
    }
    throw err;
  }
}

export async function goalStatus(client: Client, goalId: string): Promise<GoalStatusView> {
  return client.workflow.getHandle(goalId).query(statusQuery);
}

export interface GoalListEntry {
  readonly goalId: string;
  readonly execution: string;
  readonly status: string;
  readonly phase: string;
  readonly turns: number;
  readonly progress: number;
  readonly startedAt: string;
  readonly objective: string;
}

export interface ListGoalsOptions {
  /** @default 50 */
  readonly limit?: number;
  /** Only goals with this status (the `LonghaulStatus` search attribute). */
  readonly status?: GoalStatusName;
}

/** Goals newest first, by the visibility store (search attributes may trail the goal by a moment). */
/**
 * The visibility query for goals, one record each: a goal that continued as new also has a closed record for each
 * earlier run, which this leaves out.
 */
export const GOAL_LIST_QUERY = `WorkflowType = '${GOAL_WORKFLOW_TYPE}' AND ExecutionStatus != 'ContinuedAsNew'`;

/** A goal as its visibility record shows it: the search attributes the goal keeps up to date, and its memo. */
export function goalListEntry(wf: WorkflowExecutionInfo): GoalListEntry {
  const sa = wf.typedSearchAttributes;
  return {
    goalId: wf.workflowId,
    execution: wf.status.name,
    status: sa.get(LonghaulStatus) ?? 'unknown',
    phase: sa.get(LonghaulPhase) ?? 'unknown',
    turns: sa.get(LonghaulTurns) ?? 0,
    progress: sa.get(LonghaulProgress) ?? 0,
    startedAt: wf.startTime.toISOString(),
    objective: typeof wf.memo?.objective === 'string' ? wf.memo.objective : '',
  };
}

export async function listGoals(client: Client, opts: ListGoalsOptions = {}): Promise<GoalListEntry[]> {
  let query = GOAL_LIST_QUERY;
  if (opts.status !== undefined) {
    // Checked here too: the value goes into a query string.
    if (!(GOAL_STATUSES as readonly string[]).includes(opts.status)) {
      throw new RangeError(`unknown goal status "${String(opts.status)}": use one of ${GOAL_STATUSES.join(', ')}`);
    }
    query += ` AND ${LonghaulStatus.name} = '${opts.status}'`;
  }
  const out: GoalListEntry[] = [];
  for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
    out.push(goalListEntry(wf));
    if (out.length >= (opts.limit ?? 50)) break;
  }
  return out;
}

/**
 * Cancels a goal. With `by`, the goal is first told who cancels (`cancelRequested`, recorded and named in its final
 * reason): Temporal's cancel request cannot carry it.
 */
export async function cancelGoal(client: Client, goalId: string, by?: Actor): Promise<void> {
  const handle = client.workflow.getHandle(goalId);
  if (by) await handle.signal(cancelRequestedSignal, { by });
  await handle.cancel();
}
