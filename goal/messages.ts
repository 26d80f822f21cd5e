/**
 * The goal workflow's public message interface, imported by the workflow and by clients.
 * Names are part of the public interface (documented in the README).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from './actor';
import type { GoalEdit } from './edit';
import type { MoveRequest } from './placement';
import type { GoalStatusView } from './status';

/** Query `status`: phase, status, turn, metrics, checks, budget, edits, guidance, pause, last event. */
export const statusQuery = defineQuery<GoalStatusView>('status');

/** What `edit` returns: the goal version the edit creates and what it changes. */
export interface EditResult {
  readonly goalVersion: number;
  readonly changes: readonly string[];
  /** Edits take effect at the next turn boundary. */
  readonly appliesAt: 'next turn boundary';
}

/** Who sent a message (optional in every steering message): recorded with the event it causes. */
export interface ByWhom {
  readonly by?: Actor;
}

/**
 * Update `edit`: change objective, guidance, metrics, targets, checks or budget; validated, versioned. The optional
 * second argument says who edited.
 */
export const editUpdate = defineUpdate<EditResult, [GoalEdit, ByWhom?]>('edit');

/** Signal `guide`: append guidance for the agent's next turn. Takes a string or `{ "text": "...", "by"?: actor }`. */
export const guideSignal = defineSignal<[string | ({ text: string } & ByWhom)]>('guide');

/**
 * Signal `cancelRequested`: who is about to cancel the goal (sent just before the Temporal cancel request, which
 * cannot carry it); recorded, and named in the goal's final reason. Cancelling is still Temporal's cancel.
 */
export const cancelRequestedSignal = defineSignal<[ByWhom]>('cancelRequested');

/** What `pause` and `resume` return. */
export interface PauseResult {
  readonly paused: boolean;
  readonly turn: number;
}

/** Update `pause`: no new model turn starts until `resume`; an in-flight tool call finishes. */
export const pauseUpdate = defineUpdate<PauseResult, [({ reason?: string } & ByWhom) | undefined]>('pause');

/** Update `resume`: continue a paused goal where it stopped. */
export const resumeUpdate = defineUpdate<PauseResult, []>('resume');
/** The same update `resume`, for clients that say who resumes (`{ by }`). */
export const resumeByUpdate = defineUpdate<PauseResult, [ByWhom]>('resume');

/** What `ask` returns. */
export interface AskResult {
  readonly answer: string;
  readonly turn: number;
}

/** Update `ask`: a side question answered by the model from a snapshot; never changes the run. */
export const askUpdate = defineUpdate<AskResult, [string | ({ question: string } & ByWhom)]>('ask');

/** What `move` returns once the goal runs on its new host. */
export interface MoveResult {
  readonly host: string;
  readonly workspace: string;
  /** What happened, e.g. "moved from host "a" to "b": /srv/ws re-cloned from … at 1a2b3c4d5e". */
  readonly text: string;
}

/**
 * Update `move`: a goal waiting for its lost host continues on another host, which re-clones the goal branch from
 * the remote (goal/placement.ts). Answers once the clone is done; refused while the goal's host is up.
 */
export const moveUpdate = defineUpdate<MoveResult, [MoveRequest]>('move');

/** Longest side question accepted. */
export const MAX_QUESTION_CHARS = 4000;

/** The workflow type name, used by clients that start goals. */
export const GOAL_WORKFLOW_TYPE = 'goalWorkflow';

/** The task queue goals run on unless configured otherwise. */
export const DEFAULT_TASK_QUEUE = 'longhaul';
