/**
 * The model-turn activity: rebuild the context from the goal store, call the model once, store its
 * output under the turn number (so a retry overwrites, never duplicates), return a small digest.
 */
import { toolDefinitions } from '../goal/tools';
import type { MessageItem, TokenUsage, ToolCallItem } from '../goal/transcript';
import { buildContext } from './context';
import { callModel, responseText, type ModelChoice, type ModelDeps } from './model/call';
import type { GoalStore } from './store';

export interface ModelTurnInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly turn: number;
  readonly brief: string;
  readonly plan?: string;
  /** Orchestrator messages for the agent (verification results, guidance); become this turn's user messages. */
  readonly notes: readonly string[];
  readonly model: ModelChoice;
}

export interface ToolCallDigest {
  readonly callId: string;
  readonly name: string;
  /** The call in a few words, for activity summaries and the UI. */
  readonly summary: string;
}

export interface ModelTurnResult {
  readonly calls: readonly ToolCallDigest[];
  /** The assistant's text, shortened. */
  readonly text: string;
  readonly usage: TokenUsage;
}

export interface ModelTurnDeps extends ModelDeps {
  readonly store: GoalStore;
  readonly maxTranscriptChars: number;
}

export async function modelTurn(deps: ModelTurnDeps, input: ModelTurnInput): Promise<ModelTurnResult> {
  const notes: MessageItem[] = input.notes.map((text) => ({ type: 'message', role: 'user', text }));
  const built = await buildContext(deps.store, {
    goalId: input.goalId,
    workspace: input.workspace,
    turn: input.turn,
    brief: input.brief,
    ...(input.plan !== undefined ? { plan: input.plan } : {}),
    notes,
    maxTranscriptChars: deps.maxTranscriptChars,
  });
  const response = await callModel(deps, input.model, {
    instructions: built.instructions,
    items: built.items,
    tools: toolDefinitions(),
  });
  // Every tool call needs an id to pair it with its result; some compatible servers send none.
  const output = response.items.map((item) =>
    item.type === 'tool_call' && !item.callId
      ? { ...item, callId: `t${input.turn}-${Math.random().toString(36).slice(2, 10)}` }
      : item,
  );
  await deps.store.writeTurn(input.goalId, {
    turn: input.turn,
    notes,
    output,
    usage: response.usage,
    at: new Date().toISOString(),
  });
  const calls = output
    .filter((i): i is ToolCallItem => i.type === 'tool_call')
    .map((c) => ({ callId: c.callId, name: c.name, summary: summarizeCall(c) }));
  const text = responseText(response);
  return { calls, text: text.length > 500 ? `${text.slice(0, 497)}...` : text, usage: response.usage };
}

/** "shell: npm test", "edit_file: src/a.ts" — short and safe to show. */
export function summarizeCall(call: ToolCallItem): string {
  let detail = '';
  try {
    const args = JSON.parse(call.arguments) as Record<string, unknown>;
    const key = ['command', 'path', 'pattern', 'summary'].find((k) => typeof args[k] === 'string');
    if (key) detail = String(args[key]);
  } catch {
    detail = '(malformed arguments)';
  }
  const line = `${call.name}${detail ? `: ${detail}` : ''}`.replace(/\s+/g, ' ');
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
