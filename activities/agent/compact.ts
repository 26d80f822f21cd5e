/**
 * Context compaction: when the unsummarised transcript no longer fits the prompt budget, the oldest turns are
 * summarised by the model (with the previous summary) and the summary stands in for them from then on. The goal,
 * criteria, edits and the agent's frontier are not part of it: they are re-injected every turn from state.
 */
import type { TokenUsage, TranscriptItem } from '../../goal/transcript';
import { renderTurn } from './context';
import { callModel, responseText, type ModelChoice, type ModelDeps } from '../model/call';
import type { GoalStore, StoredSummary } from '../store/types';

/** Longest summary kept (characters); the summariser is asked for much less. */
export const MAX_SUMMARY_CHARS = 16_000;
/** Characters of one tool result shown to the summariser (head and tail). */
const RESULT_CHARS_FOR_SUMMARY = 2_000;

const SUMMARISER_RULES = `You maintain the working memory of a coding agent that pursues a long-running goal in a git workspace.
You receive the previous summary (if any) and a log of later turns. Write the new summary that replaces both, for the agent itself.
Keep, as terse bullet points: every file changed and how; commands run and their key results; every measurement; approaches tried and whether they worked (and why not); errors still open; facts learned about the codebase; the user's guidance.
Drop: file contents, long outputs, pleasantries. Do not restate the goal or criteria (the agent is shown them every turn). At most 600 words.`;

export interface CompactInput {
  readonly goalId: string;
  readonly turn: number;
  readonly model: ModelChoice;
  /** Turns up to this one are summarised; later turns stay verbatim. */
  readonly through: number;
  /** Characters per summariser request (fits its prompt budget). */
  readonly chunkChars: number;
  /** Names this compaction in the stored summary, with what it spent (a retry of the activity finds it). */
  readonly key?: string;
}

export interface CompactResult {
  readonly summary: StoredSummary;
  readonly usage: TokenUsage;
}

/** Summarises turns (previous summary's end, `through`] into a new summary and stores it. */
export async function compact(
  deps: ModelDeps & { readonly store: GoalStore },
  input: CompactInput,
): Promise<CompactResult> {
  const { store } = deps;
  const previous = await store.readSummary(input.goalId);
  const from = (previous?.through ?? 0) + 1;
  let text = previous?.text ?? '';
  const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  const numbers = (await store.turnNumbers(input.goalId, input.through + 1)).filter((n) => n >= from);
  let chunk: string[] = [];
  let chunkSize = 0;
  let chunkStart = from;
  const flush = async (end: number) => {
    if (chunk.length === 0) return;
    const response = await callModel(deps, input.model, {
      instructions: SUMMARISER_RULES,
      items: [
        {
          type: 'message',
          role: 'user',
          text: `${text ? `Previous summary (turns 1–${chunkStart - 1}):\n${text}\n\n` : ''}Log of turns ${chunkStart}–${end}:\n${chunk.join('\n')}`,
        },
      ],
      tools: [],
      maxOutputTokens: 2_000,
    });
    usage.inputTokens += response.usage.inputTokens;
    usage.outputTokens += response.usage.outputTokens;
    usage.totalTokens += response.usage.totalTokens;
    const next = responseText(response).trim();
    if (next) text = next.length > MAX_SUMMARY_CHARS ? `${next.slice(0, MAX_SUMMARY_CHARS)} […]` : next;
    chunk = [];
    chunkSize = 0;
    chunkStart = end + 1;
  };
  let last = from - 1;
  for (const n of numbers) {
    const turn = await store.readTurn(input.goalId, n);
    if (!turn) continue;
    const rendered = logOf(n, await renderTurn(store, input.goalId, turn));
    if (chunkSize > 0 && chunkSize + rendered.length > input.chunkChars) await flush(last);
    chunk.push(rendered.length > input.chunkChars ? `${rendered.slice(0, input.chunkChars)} […]` : rendered);
    chunkSize += Math.min(rendered.length, input.chunkChars);
    last = n;
  }
  await flush(input.through);
  const summary: StoredSummary = {
    through: input.through,
    text,
    at: new Date().toISOString(),
    ...(input.key ? { by: { key: input.key, usage } } : {}),
  };
  await store.writeSummary(input.goalId, summary);
  return { summary, usage };
}

/** A turn as plain text for the summariser: tool results cut to their head and tail. */
function logOf(n: number, items: readonly TranscriptItem[]): string {
  const lines = [`## Turn ${n}`];
  for (const i of items) {
    if (i.type === 'message') lines.push(`${i.role === 'user' ? 'Orchestrator' : 'Agent'}: ${i.text}`);
    else if (i.type === 'tool_call') lines.push(`→ ${i.name}(${i.arguments})`);
    else lines.push(`← ${i.isError ? 'error: ' : ''}${cut(i.output)}`);
  }
  return lines.join('\n');
}

function cut(text: string): string {
  if (text.length <= RESULT_CHARS_FOR_SUMMARY) return text;
  const half = RESULT_CHARS_FOR_SUMMARY / 2;
  return `${text.slice(0, half)} […${text.length - RESULT_CHARS_FOR_SUMMARY} chars…] ${text.slice(-half)}`;
}
