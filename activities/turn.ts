/**
 * The model-turn activity: rebuild the context from the goal store, call the model once, store its
 * output under the turn number (so a retry overwrites, never duplicates), return a small digest.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { toolDefinitions } from '../goal/tools';
import type { MessageItem, TokenUsage, ToolCallItem } from '../goal/transcript';
import { buildContext } from './context';
import { classifyModelError } from './model/errors';
import type { ModelProvider } from './model/provider';
import type { GoalStore } from './store';

export interface ModelTurnInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly turn: number;
  readonly brief: string;
  readonly plan?: string;
  /** Orchestrator messages for the agent (verification results, guidance); become this turn's user messages. */
  readonly notes: readonly string[];
  readonly model: {
    readonly name?: string;
    readonly api?: 'responses' | 'chat';
    readonly reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  };
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

export interface ModelTurnDeps {
  readonly store: GoalStore;
  readonly provider: (api: 'responses' | 'chat') => ModelProvider;
  readonly defaultModel: string;
  readonly defaultApi: 'responses' | 'chat';
  readonly maxTranscriptChars: number;
}

/** Failure types the workflow treats as permanent (the user must fix configuration). */
export const PERMANENT_MODEL_FAILURES = ['ModelAuthError', 'ModelBadRequestError'] as const;

export async function modelTurn(deps: ModelTurnDeps, input: ModelTurnInput): Promise<ModelTurnResult> {
  const ctx = Context.current();
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
  const provider = deps.provider(input.model.api ?? deps.defaultApi);
  // Heartbeats while the model thinks: a dead worker is noticed in seconds, and cancellation reaches the call.
  const beat = setInterval(() => ctx.heartbeat(), 5_000);
  let response;
  try {
    response = await provider.complete({
      model: input.model.name ?? deps.defaultModel,
      instructions: built.instructions,
      items: built.items,
      tools: toolDefinitions(),
      ...(input.model.reasoningEffort ? { reasoningEffort: input.model.reasoningEffort } : {}),
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    const e = classifyModelError(err);
    if (e.kind === 'aborted') throw ctx.cancellationSignal.reason ?? err;
    if (!e.retryable) {
      throw ApplicationFailure.create({
        type: e.kind === 'auth' ? 'ModelAuthError' : 'ModelBadRequestError',
        message: e.message,
        nonRetryable: true,
      });
    }
    throw ApplicationFailure.create({
      type: `Model${e.kind.replace(/(^|_)(\w)/g, (_m, _s, c: string) => c.toUpperCase())}Error`,
      message: e.message,
      ...(e.retryAfterMs !== undefined ? { nextRetryDelay: e.retryAfterMs } : {}),
    });
  } finally {
    clearInterval(beat);
  }
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
  const text = output
    .filter((i): i is MessageItem => i.type === 'message')
    .map((m) => m.text)
    .join('\n');
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
