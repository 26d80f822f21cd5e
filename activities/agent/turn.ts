/**
 * The model-turn activity: rebuild the context from the goal store, call the model once, store its output under
 * the turn number (so a retry overwrites, never duplicates), return a small digest. When the oldest turns no longer
 * fit the prompt budget, or the model refuses the prompt as too long, the turn asks the workflow to compact first
 * (`compactFirst`; the compaction is its own activity, activities/agent/compaction.ts) and is then asked again.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../goal/failures';
import type { TokenUsage, ToolCallItem } from '../../goal/transcript';
import { compact } from './compact';
import { sizeOf } from './context';
import { cutPoint, KEEP_SHARE, turnContext, type ContextLayout, type TurnContextInput } from './turn-context';
import { callModel, responseText, type ModelDeps } from '../model/call';
import type { ModelResponse } from '../model/provider';
import type { GoalStore } from '../store/types';
import type { TurnRecords } from '../store/turn-records';
import type { McpTurnTools } from '../tools/mcp/offer';

export { CHARS_PER_TOKEN } from './turn-context';

/** Why a turn asks for compaction first. */
export type CompactionReason = 'context_full' | 'context_length';

export interface ModelTurnInput extends TurnContextInput {
  /**
   * `separate` (what the workflow sends): compaction is the workflow's own activity, so the turn returns
   * `compactFirst` instead of compacting. Absent: an input scheduled before compaction became an activity, still
   * in flight after a deploy; the turn compacts inline as it did then.
   */
  readonly compaction?: 'separate';
  /** The compaction the workflow already ran for this turn: the turn does not ask for it again. */
  readonly compacted?: CompactionReason;
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
  /** Tokens of the turn's own call. */
  readonly usage: TokenUsage;
  /** The model asked for (the spec's, else the worker's default). */
  readonly model: string;
  /** Set only on the inline path: older turns were summarised before this turn's call. */
  readonly compaction?: { readonly through: number; readonly usage: TokenUsage };
}

/** The turn made no model call (or one the model refused as too long): compact, then ask for the turn again. */
export interface CompactFirst {
  readonly compactFirst: { readonly reason: CompactionReason; readonly keepChars: number };
}

export type ModelTurnOutcome = ModelTurnResult | CompactFirst;

export interface ModelTurnDeps extends ModelDeps {
  readonly store: GoalStore;
  /** The worker's cache of turn records (default: every record read from the store). */
  readonly records?: TurnRecords;
  /** A hard cap on verbatim transcript characters, whatever the context window. */
  readonly maxTranscriptChars: number;
  /** @default 'append' */
  readonly contextLayout?: ContextLayout;
  /** Lists the goal's MCP servers' tools (spec `mcp`), offered after the built-in ones. */
  readonly mcpTools?: McpTurnTools;
}

export async function modelTurn(deps: ModelTurnDeps, input: ModelTurnInput): Promise<ModelTurnOutcome> {
  const ctx = await turnContext(deps, input);
  let built = await ctx.build();
  const separate = input.compaction === 'separate';
  let compaction: ModelTurnResult['compaction'];
  /** Inline compaction (an input from before the activity existed); false when nothing is left to summarise. */
  const compactInline = async (keepChars: number) => {
    const through = await cutPoint(deps.store, input, keepChars, deps.records);
    if (through === null) return false;
    const result = await compact(deps, {
      goalId: input.goalId,
      turn: input.turn,
      model: input.model,
      through,
      chunkChars: Math.max(4_000, ctx.promptChars * 0.8),
    });
    compaction = { through, usage: add(compaction?.usage, result.usage) };
    built = await ctx.build();
    return true;
  };
  if (built.omittedTurns > 0 && input.compacted === undefined) {
    const keepChars = ctx.budget * KEEP_SHARE;
    if (!separate) await compactInline(keepChars);
    else if ((await cutPoint(deps.store, input, keepChars, deps.records)) !== null) {
      return { compactFirst: { reason: 'context_full', keepChars } };
    }
  }

  let response: ModelResponse;
  try {
    response = await callModel(deps, input.model, {
      instructions: built.instructions,
      items: built.items,
      tools: ctx.tools,
      cacheKey: input.goalId,
    });
  } catch (err) {
    // The window is smaller than we were told: keep a quarter of what was just refused, then give up with a reason.
    if (!(err instanceof ApplicationFailure && err.type === FAILURE.modelContextLength)) throw err;
    const keepChars = Math.min(ctx.budget, sizeOf(built.items)) * (KEEP_SHARE / 2);
    const canCut =
      input.compacted !== 'context_length' && (await cutPoint(deps.store, input, keepChars, deps.records)) !== null;
    if (separate && canCut) return { compactFirst: { reason: 'context_length', keepChars } };
    if (!separate && (await compactInline(keepChars))) {
      response = await callModel(deps, input.model, {
        instructions: built.instructions,
        items: built.items,
        tools: ctx.tools,
        cacheKey: input.goalId,
      });
    } else {
      throw ApplicationFailure.create({
        type: FAILURE.modelContextLength,
        nonRetryable: true,
        message: `${err.message} — even after compaction; set model.contextWindow in the goal to the model's real window (longhaul edit)`,
      });
    }
  }

  // Every tool call needs an id to pair it with its result; some compatible servers send none.
  const output = response.items.map((item) =>
    item.type === 'tool_call' && !item.callId
      ? { ...item, callId: `t${input.turn}-${Math.random().toString(36).slice(2, 10)}` }
      : item,
  );
  await deps.store.writeTurn(input.goalId, {
    turn: input.turn,
    notes: ctx.notes,
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

/** Whether a turn's outcome asks for compaction first. */
export function asksToCompact(outcome: ModelTurnOutcome): outcome is CompactFirst {
  return 'compactFirst' in outcome;
}

function add(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  return {
    inputTokens: (a?.inputTokens ?? 0) + b.inputTokens,
    outputTokens: (a?.outputTokens ?? 0) + b.outputTokens,
    totalTokens: (a?.totalTokens ?? 0) + b.totalTokens,
    ...(a?.cachedInputTokens !== undefined || b.cachedInputTokens !== undefined
      ? { cachedInputTokens: (a?.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0) }
      : {}),
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
