/**
 * A model turn's prompt budget and context, shared by the turn (activities/agent/turn.ts) and the compaction that
 * makes room for it (activities/agent/compaction.ts): the instructions and tools are fixed, what is left of the
 * prompt budget is the transcript's, and the oldest turns beyond it are what compaction summarises.
 */
import { toolDefinitions } from '../../goal/tools';
import type { MessageItem, ToolDefinition } from '../../goal/transcript';
import {
  buildContext,
  renderInstructions,
  renderTurnTail,
  sizeOf,
  type BriefInput,
  type BuiltContext,
} from './context';
import type { ModelChoice } from '../model/call';
import type { GoalStore } from '../store/types';
import type { TurnRecords } from '../store/turn-records';
import type { McpTurnInput } from '../../goal/mcp';
import type { McpTurnTools } from '../tools/mcp/offer';

/** What a turn's context is built from (the model turn's input, and the compaction's). */
export interface TurnContextInput extends BriefInput, McpTurnInput {
  /** Orchestrator messages for the agent (verification results, guidance); become this turn's user messages. */
  readonly notes: readonly string[];
  readonly model: ModelChoice;
  /** The model's context window in tokens; the prompt is kept under `compactAt` of it. @default 128000 */
  readonly contextWindow?: number;
  /** @default 0.6 */
  readonly compactAt?: number;
}

/** Characters per token assumed when budgeting a prompt (English text and code average about four). */
export const CHARS_PER_TOKEN = 4;
/** Characters counted per transcript item for its framing (a few tokens per message). */
const PER_ITEM_CHARS = 16;
/** After compaction, the verbatim turns kept fill at most this share of the transcript budget. */
export const KEEP_SHARE = 0.5;

export interface TurnContext {
  readonly tools: ToolDefinition[];
  readonly notes: MessageItem[];
  /** The whole prompt's budget in characters. */
  readonly promptChars: number;
  /** The transcript's share of it: what the instructions, tools and notes leave. */
  readonly budget: number;
  /** Builds the context from the store as it is now (after a compaction, with the new summary). */
  build(): Promise<BuiltContext>;
}

/** How a worker lays out prompts: `append` (cache-friendly, the default) or `legacy` (before issue 17, for comparisons). */
export type ContextLayout = 'append' | 'legacy';

export async function turnContext(
  deps: {
    readonly store: GoalStore;
    /** The worker's cache of turn records (default: every record read from the store). */
    readonly records?: TurnRecords;
    readonly maxTranscriptChars: number;
    readonly contextLayout?: ContextLayout;
    /** The tools of the goal's MCP servers (spec `mcp`), offered after the built-in ones. */
    readonly mcpTools?: McpTurnTools;
  },
  given: TurnContextInput,
): Promise<TurnContext> {
  const input = deps.contextLayout === 'legacy' ? withoutParts(given) : given;
  const notes: MessageItem[] = input.notes.map((text) => ({ type: 'message', role: 'user', text }));
  const mcpTools = input.mcp && deps.mcpTools ? await deps.mcpTools(input) : [];
  const tools = [...toolDefinitions(input.mode), ...mcpTools];
  const promptChars = (input.contextWindow ?? 128_000) * (input.compactAt ?? 0.6) * CHARS_PER_TOKEN;
  // The instructions, the tools and the turn's state do not depend on the transcript: what is left is its budget.
  const instructions = await renderInstructions(input);
  const tail = await renderTurnTail(input);
  const fixed =
    JSON.stringify(tools).length + sizeOf(notes) + (tail?.length ?? 0) + PER_ITEM_CHARS * (notes.length + 1);
  const budget = Math.max(0, Math.min(deps.maxTranscriptChars, promptChars - fixed - instructions.length));
  return {
    tools,
    notes,
    promptChars,
    budget,
    build: async () =>
      buildContext(
        deps.store,
        {
          ...contextInput(input, notes),
          instructions,
          tail,
          maxTranscriptChars: budget,
          summary: await deps.store.readSummary(input.goalId),
        },
        deps.records,
      ),
  };
}

/** The input as older workflow code sent it: the whole brief only (the layout from before). */
function withoutParts(input: TurnContextInput): TurnContextInput {
  const { goal: _goal, state: _state, ...rest } = input;
  return rest;
}

function contextInput(input: TurnContextInput, notes: MessageItem[]) {
  return {
    perItemChars: PER_ITEM_CHARS,
    goalId: input.goalId,
    workspace: input.workspace,
    turn: input.turn,
    brief: input.brief,
    ...(input.goal !== undefined ? { goal: input.goal } : {}),
    ...(input.state !== undefined ? { state: input.state } : {}),
    ...(input.plan !== undefined ? { plan: input.plan } : {}),
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    notes,
  };
}

/**
 * The last turn to summarise so that the newest turns filling `keepChars` stay verbatim (the previous turn always
 * does); null when nothing older than those is left unsummarised.
 */
export async function cutPoint(
  store: GoalStore,
  input: TurnContextInput,
  keepChars: number,
  records?: TurnRecords,
): Promise<number | null> {
  const keep = await buildContext(
    store,
    { ...contextInput(input, []), maxTranscriptChars: keepChars, summary: null },
    records,
  );
  const summarised = (await store.readSummary(input.goalId))?.through ?? 0;
  const through = (keep.firstKeptTurn ?? input.turn) - 1;
  return through > summarised ? through : null;
}
