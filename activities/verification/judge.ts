/**
 * The judge: a separate, skeptical model call that decides checklist items the orchestrator cannot
 * check with a command, from evidence the orchestrator gathered itself (the diff since the start commit,
 * check results). Its verdict is structured and validated; the agent's own claim is never evidence.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { TokenUsage } from '../../goal/transcript';
import { diffEvidence } from './diff-evidence';
import { callModel, responseText, type ModelChoice, type ModelDeps } from '../model/call';
import type { GoalStore } from '../store/types';

export interface JudgeInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly startCommit: string | null;
  readonly objective: string;
  /** The items to decide, in order. */
  readonly items: readonly string[];
  /** What the orchestrator measured and ran this round, one line each. */
  readonly evidence: readonly string[];
  readonly model: ModelChoice;
}

export interface JudgeVerdict {
  readonly item: string;
  readonly verified: boolean;
  readonly reason: string;
}

export interface JudgeResult {
  readonly verdicts: readonly JudgeVerdict[];
  readonly usage: TokenUsage;
}

export interface JudgeDeps extends ModelDeps {
  readonly store: GoalStore;
}

export const JUDGE_INSTRUCTIONS = `You are a skeptical reviewer deciding whether checklist items of a coding goal are really done.
Decide only from the evidence below: the diff of the repository since the goal started, and what the orchestrator measured.
An item is verified only when the evidence shows it plainly. Claims, comments, TODOs, or code that merely mentions the item do not count.
When in doubt, the item is not verified.
Answer with JSON only, no prose around it: {"verdicts":[{"index":0,"verified":true,"reason":"..."}]} with one entry per item, in order.`;

const verdictSchema = z.object({
  verdicts: z.array(z.object({ index: z.int().min(0), verified: z.boolean(), reason: z.string() })),
});

/** Extracts the first JSON object from a model's text (models like to wrap it in a code fence). */
export function parseJudgeAnswer(
  text: string,
  itemCount: number,
): { index: number; verified: boolean; reason: string }[] {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('the judge did not answer with a JSON object');
  const parsed = verdictSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
  if (!parsed.success) throw new Error(`the judge's answer does not have the expected shape: ${parsed.error.message}`);
  const byIndex = new Map(parsed.data.verdicts.map((v) => [v.index, v]));
  // An item the judge skipped is not verified: silence is not evidence.
  return Array.from(
    { length: itemCount },
    (_, i) => byIndex.get(i) ?? { index: i, verified: false, reason: 'the judge gave no verdict' },
  );
}

export async function judgeChecklist(deps: JudgeDeps, input: JudgeInput): Promise<JudgeResult> {
  const diff = await diffEvidence(deps.store, input.goalId, input.workspace, input.startCommit);
  const evidence = [
    `# Objective\n${input.objective}`,
    `# Measured by the orchestrator\n${input.evidence.join('\n') || '(nothing)'}`,
    diff,
    `# Items to decide\n${input.items.map((item, i) => `${i}. ${item}`).join('\n')}`,
  ].join('\n\n');
  const response = await callModel(deps, input.model, {
    instructions: JUDGE_INSTRUCTIONS,
    items: [{ type: 'message', role: 'user', text: evidence }],
    tools: [],
  });
  let verdicts;
  try {
    verdicts = parseJudgeAnswer(responseText(response), input.items.length);
  } catch (err) {
    // A malformed verdict is worth another try; Temporal retries the activity.
    throw ApplicationFailure.create({ type: 'JudgeMalformedAnswer', message: (err as Error).message });
  }
  return {
    verdicts: verdicts.map((v) => ({
      item: input.items[v.index] ?? '',
      verified: v.verified,
      reason: v.reason.slice(0, 500),
    })),
    usage: response.usage,
  };
}
