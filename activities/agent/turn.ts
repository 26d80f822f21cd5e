/**
 * The model-turn activity: rebuild the context from the goal store (compacting the oldest turns into a summary
 * when they no longer fit the prompt budget), call the model once, store its output under the turn number (so a
 * retry overwrites, never duplicates), return a small digest.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../goal/failures';
import { toolDefinitions, type AgentMode } from '../../goal/tools';
import type { MessageItem, TokenUsage, ToolCallItem } from '../../goal/transcript';
import { compact } from './compact';
import { buildContext, renderInstructions, sizeOf, type BuiltContext } from './context';
import { callModel, responseText, type ModelChoice, type ModelDeps } from '../model/call';
import type { ModelResponse } from '../model/provider';
import type { GoalStore } from '../store/types';

export interface ModelTurnInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly turn: number;
  readonly brief: string;
  readonly plan?: string;
  /** Orchestrator messages for the agent (verification results, guidance); become this turn's user messages. */
  readonly notes: readonly string[];
  readonly model: ModelChoice;
  /** The model's context window in tokens; the prompt is kept under `compactAt` of it. @default 128000 */
  readonly contextWindow?: number;
  /** @default 0.6 */
  readonly compactAt?: number;
  /** Pursuing a goal (default) or drafting one: the rules and the tools offered differ. */
  readonly mode?: AgentMode;
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
  /** Tokens of the turn's own call (compaction's are reported apart). */
  readonly usage: TokenUsage;
  /** The model asked for (the spec's, else the worker's default). */
  readonly model: string;
  /** Set when older turns were summarised before this turn's call. */
  readonly compaction?: { readonly through: number; readonly usage: TokenUsage };
}

export interface ModelTurnDeps extends ModelDeps {
  readonly store: GoalStore;
  /** A hard cap on verbatim transcript characters, whatever the context window. */
  readonly maxTranscriptChars: number;
}

/** Characters per token assumed when budgeting a prompt (English text and code average about four). */
export const CHARS_PER_TOKEN = 4;
/** Characters counted per transcript item for its framing (a few tokens per message). */
const PER_ITEM_CHARS = 16;
/** After compaction, the verbatim turns kept fill at most this share of the transcript budget. */
const KEEP_SHARE = 0.5;

export async function modelTurn(deps: ModelTurnDeps, input: ModelTurnInput): Promise<ModelTurnResult> {
  const notes: MessageItem[] = input.notes.map((text) => ({ type: 'message', role: 'user', text }));
  const tools = toolDefinitions(input.mode);
  const promptChars = (input.contextWindow ?? 128_000) * (input.compactAt ?? 0.6) * CHARS_PER_TOKEN;
  // The instructions and the tools do not depend on the transcript: what is left of the prompt is its budget.
  const instructions = await renderInstructions(input);
  const fixed = JSON.stringify(tools).length + sizeOf(notes) + PER_ITEM_CHARS * (notes.length + 1);
  const budget = Math.max(0, Math.min(deps.maxTranscriptChars, promptChars - fixed - instructions.length));
  const build = async (): Promise<BuiltContext> => {
    const summary = await deps.store.readSummary(input.goalId);
    return buildContext(deps.store, {
      ...contextInput(input, notes),
      instructions,
      maxTranscriptChars: budget,
      summary,
    });
  };

  let built = await build();
  let compaction: ModelTurnResult['compaction'];
  const compactNow = async (keepChars: number) => {
    const through = await cutPoint(deps.store, input, keepChars);
    if (through === null) return false;
    const result = await compact(deps, {
      goalId: input.goalId,
      turn: input.turn,
      model: input.model,
      through,
      chunkChars: Math.max(4_000, promptChars * 0.8),
    });
    compaction = { through, usage: add(compaction?.usage, result.usage) };
    built = await build();
    return true;
  };
  if (built.omittedTurns > 0) await compactNow(budget * KEEP_SHARE);

  let response: ModelResponse;
  try {
    response = await callModel(deps, input.model, { instructions: built.instructions, items: built.items, tools });
  } catch (err) {
    // The window is smaller than we were told: keep a quarter of what was just refused, then give up with a reason.
    if (!(err instanceof ApplicationFailure && err.type === FAILURE.modelContextLength)) throw err;
    if (!(await compactNow(Math.min(budget, sizeOf(built.items)) * (KEEP_SHARE / 2)))) {
      throw ApplicationFailure.create({
        type: FAILURE.modelContextLength,
        nonRetryable: true,
        message: `${err.message} — even after compaction; set model.contextWindow in the goal to the model's real window (longhaul edit)`,
      });
    }
    response = await callModel(deps, input.model, { instructions: built.instructions, items: built.items, tools });
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
  const text = responseText(response);
  return {
    calls,
    text: text.length > 500 ? `${text.slice(0, 497)}...` : text,
    usage: response.usage,
    model: input.model.name ?? deps.defaultModel,
    ...(compaction ? { compaction } : {}),
  };
}

function contextInput(input: ModelTurnInput, notes: MessageItem[]) {
  return {
    perItemChars: PER_ITEM_CHARS,
    goalId: input.goalId,
    workspace: input.workspace,
    turn: input.turn,
    brief: input.brief,
    ...(input.plan !== undefined ? { plan: input.plan } : {}),
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    notes,
  };
}

/**
 * The last turn to summarise so that the newest turns filling `keepChars` stay verbatim (the previous turn always
 * does); null when nothing older than those is left unsummarised.
 */
async function cutPoint(store: GoalStore, input: ModelTurnInput, keepChars: number): Promise<number | null> {
  const keep = await buildContext(store, { ...contextInput(input, []), maxTranscriptChars: keepChars, summary: null });
  const summarised = (await store.readSummary(input.goalId))?.through ?? 0;
  const through = (keep.firstKeptTurn ?? input.turn) - 1;
  return through > summarised ? through : null;
}

function add(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  return {
    inputTokens: (a?.inputTokens ?? 0) + b.inputTokens,
    outputTokens: (a?.outputTokens ?? 0) + b.outputTokens,
    totalTokens: (a?.totalTokens ?? 0) + b.totalTokens,
  };
}

/** "shell: npm test", "edit_file: src/a.ts" — short and safe to show. */
export function summarizeCall(call: ToolCallItem): string {
  let detail = '';
  try {
    const args = JSON.parse(call.arguments) as Record<string, unknown>;
    const key = ['command', 'path', 'pattern', 'summary', 'reason', 'next'].find((k) => typeof args[k] === 'string');
    if (key) detail = String(args[key]);
  } catch {
    detail = '(malformed arguments)';
  }
  const line = `${call.name}${detail ? `: ${detail}` : ''}`.replace(/\s+/g, ' ');
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
