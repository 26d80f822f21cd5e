/**
 * Steering a running goal from a client: edit, guide, pause, resume, ask. Each first checks that the goal
 * exists and is still running, so the error names the goal and the fix rather than a gRPC status. `by` (optional)
 * says who steers: the goal records it with the event (the Slack app passes it; the CLI does not).
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Actor } from '../goal/actor';
import type { GoalEdit } from '../goal/edit';
import type { MoveRequest } from '../goal/placement';
import {
  askUpdate,
  editUpdate,
  guideSignal,
  moveUpdate,
  pauseUpdate,
  resumeByUpdate,
  resumeUpdate,
  type AskResult,
  type EditResult,
  type MoveResult,
  type PauseResult,
} from '../goal/messages';

/** Thrown when a goal has already ended, so it cannot be steered. */
export class GoalEndedError extends Error {
  override readonly name = 'GoalEndedError';
  constructor(
    readonly goalId: string,
    readonly executionStatus: string,
  ) {
    super(`goal ${goalId} has already ended (${executionStatus.toLowerCase()}): see \`longhaul status ${goalId}\``);
  }
}

/** Thrown when the goal refused a message (a bad edit, an empty question); the goal is unchanged. */
export class RejectedError extends Error {
  override readonly name = 'RejectedError';
}

async function runningHandle(client: Client, goalId: string) {
  const handle = client.workflow.getHandle(goalId);
  const { status } = await handle.describe(); // WorkflowNotFoundError for an unknown id
  if (status.name !== 'RUNNING') throw new GoalEndedError(goalId, status.name);
  return handle;
}

async function rejectionsAsErrors<T>(goalId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new RejectedError(`goal ${goalId} refused it: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}

export async function editGoal(client: Client, goalId: string, edit: GoalEdit, by?: Actor): Promise<EditResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(editUpdate, { args: by ? [edit, { by }] : [edit] }));
}

export async function guideGoal(client: Client, goalId: string, text: string, by?: Actor): Promise<void> {
  if (text.trim() === '') throw new RejectedError('the guidance is empty: say what the agent should know');
  const handle = await runningHandle(client, goalId);
  await handle.signal(guideSignal, by ? { text, by } : text);
}

export async function pauseGoal(client: Client, goalId: string, reason?: string, by?: Actor): Promise<PauseResult> {
  const handle = await runningHandle(client, goalId);
  const arg = { ...(reason ? { reason } : {}), ...(by ? { by } : {}) };
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(pauseUpdate, { args: [arg] }));
}

export async function resumeGoal(client: Client, goalId: string, by?: Actor): Promise<PauseResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () =>
    by ? handle.executeUpdate(resumeByUpdate, { args: [{ by }] }) : handle.executeUpdate(resumeUpdate),
  );
}

/** Moves a goal that waits for its lost host to `request.host`; answers once the goal branch is re-cloned there. */
export async function moveGoal(client: Client, goalId: string, request: MoveRequest): Promise<MoveResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(moveUpdate, { args: [request] }));
}

export async function askGoal(client: Client, goalId: string, question: string, by?: Actor): Promise<AskResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () =>
    handle.executeUpdate(askUpdate, { args: [by ? { question, by } : question] }),
  );
}
