/**
 * Builds the model's context for a turn from the goal store, laid out for a provider's prompt cache: what is
 * stable comes first and each turn only appends. The instructions (rules, workspace, the goal as the last edit
 * left it), the summary of the oldest turns (compaction, see ./compact.ts), the later turns verbatim as the model
 * saw them (oldest whole turns left out first when they do not fit the bound; the caller then compacts), this
 * turn's notes, and last the turn's state (criteria verdicts, budget, frontier, guidance, the plan), re-injected
 * every turn so the goal is never lost but never stored: the next turn's prompt replaces it with its own, so two
 * consecutive prompts share everything before it. Only a compaction or an edit changes the prefix.
 *
 * Inputs without `goal` and `state` (scheduled by older workflow code, and drafts) get the layout from before:
 * the whole brief, with the turn number, in the instructions.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AgentMode } from '../../goal/tools';
import type { MessageItem, ToolCallItem, TranscriptItem } from '../../goal/transcript';
import type { GoalStore, StoredSummary, StoredToolResult, StoredTurn } from '../store/types';
import { storeRecords, type TurnRecords } from '../store/turn-records';
import { resolveInWorkspace } from '../tools/workspace-path';

/** What the workflow renders for a turn's prompt, shared by the turn's input and the context built from it. */
export interface BriefInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly turn: number;
  /** The goal, its criteria and their current state, rendered by the workflow (the whole brief). */
  readonly brief: string;
  /** The brief's stable part (objective, criteria, goal version): with `state`, the cache-friendly layout. */
  readonly goal?: string;
  /** The brief's per-turn part (criteria verdicts, budget, frontier, guidance): the prompt's last message. */
  readonly state?: string;
  readonly plan?: string;
  /** Pursuing a goal (default) or drafting one: the rules and the tools offered differ. */
  readonly mode?: AgentMode;
}

export interface ContextInput extends BriefInput {
  readonly notes: readonly MessageItem[];
  /** Upper bound on transcript characters sent to the model (the summary included, this turn's notes not). */
  readonly maxTranscriptChars: number;
  /** Characters counted per item on top of its content (a message's framing costs tokens too). @default 0 */
  readonly perItemChars?: number;
  /** Instructions already rendered with renderInstructions (else rendered here). */
  readonly instructions?: string;
  /** The turn's state message already rendered with renderTurnTail (else rendered here). */
  readonly tail?: string | null;
  /** The summary standing in for turns 1..through; those turns are not read. */
  readonly summary?: StoredSummary | null;
}

export interface BuiltContext {
  readonly instructions: string;
  readonly items: TranscriptItem[];
  /** Unsummarised turns that did not fit (0 when everything since the summary is verbatim). */
  readonly omittedTurns: number;
  /** The first turn shown verbatim (null when none is). */
  readonly firstKeptTurn: number | null;
}

const RULES = `You are Longhaul's coding agent, working toward a goal in a real git workspace with the tools provided.
Rules:
- Work in small, verifiable steps: read before you edit, run the relevant command after you change something.
- All paths are relative to the workspace root; you cannot leave the workspace.
- The orchestrator, not you, decides whether the goal is met: it re-measures the metrics and re-runs the checks itself after you change files. Never edit tests, benchmarks or measurement scripts to make a number look better.
- When you believe every criterion is met, call \`done\` with a short summary; the orchestrator then verifies.
- Messages from the orchestrator (verification results, guidance) arrive as user messages; treat them as authoritative.`;

const DRAFT_RULES = `You are Longhaul's planning agent. The user wants to start a long-running goal (minutes to days of an agent's work, verified by an orchestrator) and needs a verifiable goal spec. Explore, then propose it.
Rules:
- Drafting is read-only: you have read_file, list_files, search and shell. Shell commands run in a throw-away copy of the workspace; nothing you do reaches the user's workspace, and write tools are refused.
- Find how to measure what the user wants: a command whose wall time (measure: wall_time), printed number (stdout_number with pattern, or json with path) or exit code is the metric. Run it to be sure it works and see how long it takes.
- Find the checks that must keep passing (tests, lint, type checks) and run them; note which fail now.
- Protect what the agent must not edit to move the number: what checks and number-reading metrics name is protected by itself; what a wall_time metric runs stays editable (it is what gets faster), so add a check that proves it still works; add protect: globs for the rest (tests, benchmarks).
- Pick a target the user can believe (relative, e.g. -0.3 for 30% lower, or absolute) and a sensible budget (maxTurns, maxHours).
- Then call propose_goal with the spec as YAML and a PLAN.md (what you found, candidate approaches with the most promising first, risks). The orchestrator measures the baseline and the noise itself; if it reports a problem, fix the spec and propose again.
Spec YAML shape (omit workspace; the orchestrator sets it):
objective: Cut the build time by 30%
metrics:
  - { name: build_seconds, command: npm run build, measure: wall_time, direction: lower, target: { relative: -0.3 }, repeat: 5 }
checks:
  - { name: tests, command: npm test }
protect: [test/**, bench/**]
budget: { maxTurns: 60, maxHours: 8 }
guidance: Start with the bundler config; see PLAN.md.
- Messages from the user or the orchestrator arrive as user messages; a revision from the user replaces what it contradicts.`;

type LayoutInput = Pick<ContextInput, 'workspace' | 'turn' | 'brief' | 'goal' | 'state' | 'plan' | 'mode'>;

/** Whether the input asks for the cache-friendly layout (its brief in two parts; never a draft's). */
export function appendOnly(input: LayoutInput): boolean {
  return input.mode !== 'draft' && input.goal !== undefined && input.state !== undefined;
}

/**
 * The system instructions of a turn: the rules and the goal. In the cache-friendly layout nothing in them changes
 * from turn to turn; in the older one they carry the whole brief with the turn number and the plan file.
 */
export async function renderInstructions(input: LayoutInput): Promise<string> {
  if (appendOnly(input)) {
    return [RULES, `Workspace: ${input.workspace}`, `# The goal\n${input.goal ?? ''}`].join('\n\n');
  }
  const plan = input.plan ? await readPlan(input.workspace, input.plan) : null;
  if (input.mode === 'draft') {
    return [
      DRAFT_RULES,
      `Workspace (a throw-away copy): ${input.workspace}`,
      `# The request (turn ${input.turn})\n${input.brief}`,
    ].join('\n\n');
  }
  return [
    RULES,
    `Workspace: ${input.workspace}`,
    `# The goal (turn ${input.turn})\n${input.brief}`,
    ...(plan ? [`# Plan (${input.plan ?? ''}, re-read every turn)\n${plan}`] : []),
  ].join('\n\n');
}

/**
 * The last message of a turn's prompt in the cache-friendly layout: the turn's state and the plan file (re-read every
 * turn); null in the older layout.
 */
export async function renderTurnTail(input: LayoutInput): Promise<string | null> {
  if (!appendOnly(input)) return null;
  const plan = input.plan ? await readPlan(input.workspace, input.plan) : null;
  return [
    `# Turn ${input.turn}: where the goal stands now (this message is replaced by a fresh one every turn)\n${input.state ?? ''}`,
    ...(plan ? [`# Plan (${input.plan ?? ''}, re-read every turn)\n${plan}`] : []),
    'Continue toward the goal.',
  ].join('\n\n');
}

/** The context of a turn; its turns and tool results are read through `records` (a worker's cache, or the store). */
export async function buildContext(
  store: GoalStore,
  input: ContextInput,
  records: TurnRecords = storeRecords(store),
): Promise<BuiltContext> {
  const instructions = input.instructions ?? (await renderInstructions(input));
  const tail = input.tail !== undefined ? input.tail : await renderTurnTail(input);

  // Newest first, only as many turns as fit the bound: a long goal's prompt costs the same to build at turn
  // 2,000 as at turn 20. The most recent turn always stays: without it the model would not know what it just did.
  const through = input.summary?.through ?? 0;
  const numbers = await records.list(input.goalId, input.turn, through); // the summarised turns are not listed
  const summaryItems: TranscriptItem[] = input.summary
    ? [
        {
          type: 'message',
          role: 'user',
          text: `[Summary of turns 1–${through}, written when they were compacted; later turns follow verbatim.]\n${input.summary.text}`,
        },
      ]
    : [];
  const rendered: TranscriptItem[][] = [];
  const kept: number[] = [];
  const measure = (items: readonly TranscriptItem[]) => sizeOf(items) + (input.perItemChars ?? 0) * items.length;
  let total = measure(summaryItems);
  let index = numbers.length - 1;
  for (; index >= 0; index--) {
    const at = numbers[index]!;
    const turn = await records.turn(input.goalId, at);
    if (!turn) continue;
    const items = await renderTurn(store, input.goalId, turn, (callId) => records.toolResult(input.goalId, at, callId));
    if (rendered.length > 0 && total + measure(items) > input.maxTranscriptChars) break;
    rendered.unshift(items);
    kept.unshift(turn.turn);
    total += measure(items);
  }
  const omitted = index + 1;
  const items: TranscriptItem[] = [...summaryItems];
  if (omitted > 0) {
    items.push({
      type: 'message',
      role: 'user',
      text: `[${omitted} earlier turn${omitted === 1 ? '' : 's'} omitted to bound the context; the goal above is current.]`,
    });
  }
  for (const turnItems of rendered) items.push(...turnItems);
  items.push(...input.notes);
  if (tail !== null) items.push({ type: 'message', role: 'user', text: tail });
  else if (input.notes.length === 0) {
    items.push({ type: 'message', role: 'user', text: `Turn ${input.turn}: continue toward the goal.` });
  }
  return { instructions, items, omittedTurns: omitted, firstKeptTurn: kept[0] ?? null };
}

/** A stored turn as transcript items: its notes, the model's output, and each tool call's result. */
export async function renderTurn(
  store: GoalStore,
  goalId: string,
  turn: StoredTurn,
  readResult: (callId: string) => Promise<StoredToolResult | null> = (callId) =>
    store.readToolResult(goalId, turn.turn, callId),
): Promise<TranscriptItem[]> {
  const items: TranscriptItem[] = [...turn.notes];
  for (const item of turn.output) {
    items.push(item);
  }
  for (const call of turn.output.filter((i): i is ToolCallItem => i.type === 'tool_call')) {
    const result = await readResult(call.callId);
    items.push({
      type: 'tool_result',
      callId: call.callId,
      output: result?.output ?? 'error: this tool call was not executed (the turn was interrupted).',
      isError: result?.isError ?? true,
    });
  }
  return items;
}

async function readPlan(workspace: string, plan: string): Promise<string | null> {
  let file: string;
  try {
    // The user's spec names the plan: an absolute path (a drafted PLAN.md beside goal.yaml) is theirs to choose;
    // a relative one stays inside the workspace (no `..` or symlink escapes).
    file = path.isAbsolute(plan) ? plan : await resolveInWorkspace(workspace, plan);
  } catch {
    return null;
  }
  const stat = await fs.stat(file).catch(() => null);
  if (stat && !stat.isFile()) return null; // a folder or device is no plan
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.length > 20_000 ? `${text.slice(0, 20_000)}\n[plan truncated at 20000 characters]` : text;
  } catch {
    return `(the plan file ${plan} does not exist yet)`;
  }
}

/** Characters of transcript items (text, tool arguments and outputs): the measure of the context bound. */
export function sizeOf(items: readonly TranscriptItem[]): number {
  return items.reduce(
    (n, i) =>
      n +
      (i.type === 'message'
        ? i.text.length
        : i.type === 'tool_call'
          ? i.arguments.length + i.name.length
          : i.output.length),
    0,
  );
}
