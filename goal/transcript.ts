/**
 * The provider-neutral transcript: what the agent said and did, as stored in the goal store.
 * Model providers translate it to and from their wire formats (Responses API, Chat Completions).
 */

/** A message from the orchestrator (system/user) or the agent (assistant). */
export interface MessageItem {
  readonly type: 'message';
  readonly role: 'system' | 'user' | 'assistant';
  readonly text: string;
}

/** A tool call the model asked for. `arguments` is the raw JSON text the model produced (may be malformed). */
export interface ToolCallItem {
  readonly type: 'tool_call';
  readonly callId: string;
  readonly name: string;
  readonly arguments: string;
}

/** The result of a tool call, as the model will see it. */
export interface ToolResultItem {
  readonly type: 'tool_result';
  readonly callId: string;
  readonly output: string;
  readonly isError: boolean;
}

export type TranscriptItem = MessageItem | ToolCallItem | ToolResultItem;

/** Token usage of one model call. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  /** Of `inputTokens`, those the server served from its prompt cache (absent: the server did not say). */
  readonly cachedInputTokens?: number;
}

/** A function tool offered to the model; `parameters` is a JSON Schema object. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}
