/**
 * Steering a running goal from a client: edit, guide, pause, resume, ask. Each first checks that the goal
 * exists and is still running, so the error names the goal and the fix rather than a gRPC status.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { GoalEdit } from '../goal/edit';
import type { MoveRequest } from '../goal/placement';
import {
  askUpdate,
  editUpdate,
  guideSignal,
  moveUpdate,
  pauseUpdate,
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

export async function editGoal(client: Client, goalId: string, edit: GoalEdit): Promise<EditResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(editUpdate, { args: [edit] }));
}

export async function guideGoal(client: Client, goalId: string, text: string): Promise<void> {
  if (text.trim() === '') throw new RejectedError('the guidance is empty: say what the agent should know');
  const handle = await runningHandle(client, goalId);
  await handle.signal(guideSignal, text);
}

export async function pauseGoal(client: Client, goalId: string, reason?: string): Promise<PauseResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(pauseUpdate, { args: [reason ? { reason } : {}] }));
}

export async function resumeGoal(client: Client, goalId: string): Promise<PauseResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(resumeUpdate));
}

/** Moves a goal that waits for its lost host to `request.host`; answers once the goal branch is re-cloned there. */
export async function moveGoal(client: Client, goalId: string, request: MoveRequest): Promise<MoveResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(moveUpdate, { args: [request] }));
}

export async function askGoal(client: Client, goalId: string, question: string): Promise<AskResult> {
  const handle = await runningHandle(client, goalId);
  return rejectionsAsErrors(goalId, () => handle.executeUpdate(askUpdate, { args: [question] }));
}
