/**
 * The side chat (`ask`): a question answered by the model from a snapshot of the goal and its recent
 * transcript, with its own instructions that forbid acting. It reads the goal store but never writes the
 * main transcript; questions and answers go to their own log.
 */
import type { TokenUsage } from '../../goal/transcript';
import { callModel, responseText, type ModelChoice, type ModelDeps } from '../model/call';
import type { GoalStore } from '../store/types';

export interface AnswerQuestionInput {
  readonly goalId: string;
  readonly question: string;
  /** The goal as the workflow sees it now: brief, verdicts, history (rendered by the workflow). */
  readonly snapshot: string;
  /** The turn in progress or last completed; transcript turns up to it are read. */
  readonly turn: number;
  readonly model: ModelChoice;
}

export interface AnswerQuestionResult {
  readonly answer: string;
  readonly usage: TokenUsage;
}

export interface AskDeps extends ModelDeps {
  readonly store: GoalStore;
}

export const ASK_INSTRUCTIONS = `You answer a user's side question about a goal that a coding agent is working on under Longhaul.
You cannot act: you have no tools, you cannot change files, the goal or the agent's plan, and nothing you say reaches the agent.
Answer from the snapshot and the recent transcript below; say plainly when they do not contain the answer. Be brief and concrete.`;

/** How many recent turns the side chat sees, and how much of each item. */
const RECENT_TURNS = 8;
const ITEM_CHARS = 1500;
const MAX_ANSWER_CHARS = 8000;

export async function answerQuestion(deps: AskDeps, input: AnswerQuestionInput): Promise<AnswerQuestionResult> {
  const transcript = await recentTranscript(deps.store, input.goalId, input.turn);
  const response = await callModel(deps, input.model, {
    instructions: `${ASK_INSTRUCTIONS}\n\n# Snapshot of the goal\n${input.snapshot}`,
    items: [
      { type: 'message', role: 'user', text: `# Recent transcript (oldest first)\n${transcript || '(no turns yet)'}` },
      { type: 'message', role: 'user', text: `# Question\n${input.question}` },
    ],
    tools: [],
  });
  const text = responseText(response).trim();
  const answer =
    text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)} […]` : text || '(the model gave no answer)';
  await deps.store.appendAsk(input.goalId, {
    at: new Date().toISOString(),
    turn: input.turn,
    question: input.question,
    answer,
  });
  return { answer, usage: response.usage };
}

/** The last turns as plain text: what the agent said, the calls it made and what they returned (cut short). */
async function recentTranscript(store: GoalStore, goalId: string, turn: number): Promise<string> {
  const turns = await store.readTurns(goalId, turn + 1, RECENT_TURNS);
  const cut = (t: string) => (t.length > ITEM_CHARS ? `${t.slice(0, ITEM_CHARS)} […]` : t);
  const lines: string[] = [];
  for (const t of turns) {
    lines.push(`## Turn ${t.turn}`);
    for (const n of t.notes) lines.push(`[orchestrator] ${cut(n.text)}`);
    for (const item of t.output) {
      if (item.type === 'message') lines.push(`[agent] ${cut(item.text)}`);
      if (item.type === 'tool_call') {
        lines.push(`[agent calls ${item.name}] ${cut(item.arguments)}`);
        const result = await store.readToolResult(goalId, t.turn, item.callId);
        lines.push(
          `[result${result?.isError ? ', error' : ''}] ${result ? cut(result.output) : '(running or not run)'}`,
        );
      }
    }
  }
  return lines.join('\n');
}
