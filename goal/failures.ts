/**
 * Stable failure types raised by activities and read by the workflow. Pure, so both sides import them.
 */
export const FAILURE = {
  /** The model server rejected the credentials: the user must fix OPENAI_API_KEY. */
  modelAuth: 'ModelAuthError',
  /** The model server refused the request as malformed (e.g. an unknown model): the user must fix config. */
  modelBadRequest: 'ModelBadRequestError',
  /** The prompt exceeds the model's context window even after compaction: set model.contextWindow lower. */
  modelContextLength: 'ModelContextLengthError',
  /** The workspace folder does not exist on the worker. */
  workspaceMissing: 'WorkspaceMissing',
  /** The workspace is not a git repository. */
  workspaceNotGit: 'WorkspaceNotGit',
  /**
   * The worker's goal store has no record the goal wrote there earlier (activities/store/missing.ts): the goal was
   * started against another goal store, so this worker cannot serve it.
   */
  goalStoreMismatch: 'GoalStoreMismatch',
} as const;

/** Failures no retry can fix: the goal ends (blocked or failed) with their message. */
export const PERMANENT_FAILURES: readonly string[] = Object.values(FAILURE);
