/**
 * Reflection before a goal ends: the agent's model reviews the attempt log (every measurement in the ledger, the
 * goal's events and edits) and the full diff since the start commit, and says which paths were tried, which worked,
 * which did not, which parts of the diff are leftovers of ineffective attempts, and the remaining risks. No tools:
 * the clean-up turns that follow act on it.
 */
import type { TokenUsage } from '../../goal/transcript';
import { diffEvidence } from '../verification/diff-evidence';
import { callModel, responseText, type ModelChoice, type ModelDeps } from '../model/call';
import type { GoalStore } from '../store/types';

export interface ReflectInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly startCommit: string | null;
  readonly objective: string;
  /** How the goal ended and where its criteria stand, one line each. */
  readonly outcome: readonly string[];
  /** The goal's recent events and edits, oldest first. */
  readonly events: readonly string[];
  /** Held-out checks: the agent never sees them, so their ledger records are left out of the attempt log. */
  readonly hiddenChecks: readonly string[];
  readonly model: ModelChoice;
}

export interface ReflectResult {
  /** The reflection (capped): the clean-up turns and the final report use it. */
  readonly text: string;
  readonly usage: TokenUsage;
}

const MAX_LOG_LINES = 400;
/** Longest reflection kept (it travels through history to the report). */
export const MAX_REFLECTION_CHARS = 8_000;

export const REFLECT_INSTRUCTIONS = `You are the coding agent that worked on the goal below; the goal has ended. Before handing the work over, review it like a careful engineer before opening a pull request.
Answer in Markdown with exactly these sections:
## Tried
Each approach you tried, in order, with the measurement it got.
## Worked
What the final diff keeps and why it helps.
## Did not work
Approaches that did not help, and why.
## Leftovers
Concrete parts of the diff that are leftovers of ineffective attempts (debug output, dead flags or options, unused files or functions, commented-out code), each with its file. "None" if there are none.
## Risks
What could still go wrong with the change.
Be specific and brief. Do not propose new features.`;

export async function reflect(
  deps: ModelDeps & { readonly store: GoalStore },
  input: ReflectInput,
): Promise<ReflectResult> {
  const diff = await diffEvidence(deps.store, input.goalId, input.workspace, input.startCommit);
  const hidden = new Set(input.hiddenChecks);
  const ledger = (await deps.store.readLedger(input.goalId)).filter(
    (r) => typeof r.check !== 'string' || !hidden.has(r.check),
  );
  const log = ledger.slice(-MAX_LOG_LINES).map(describeRecord);
  const response = await callModel(deps, input.model, {
    instructions: REFLECT_INSTRUCTIONS,
    items: [
      {
        type: 'message',
        role: 'user',
        text: [
          `# Goal\n${input.objective}`,
          `# Outcome\n${input.outcome.join('\n')}`,
          `# Attempt log (measurements, oldest first${ledger.length > MAX_LOG_LINES ? `; the last ${MAX_LOG_LINES} of ${ledger.length}` : ''})\n${log.join('\n') || '(none)'}`,
          `# Events and edits\n${input.events.join('\n') || '(none)'}`,
          diff,
        ].join('\n\n'),
      },
    ],
    tools: [],
    maxOutputTokens: 3_000,
  });
  const text = responseText(response).trim();
  return {
    text: text.length > MAX_REFLECTION_CHARS ? `${text.slice(0, MAX_REFLECTION_CHARS)}\n[…cut]` : text,
    usage: response.usage,
  };
}

function describeRecord(r: Record<string, unknown>): string {
  const label = typeof r.label === 'string' ? r.label : '';
  const name = typeof r.metric === 'string' ? r.metric : typeof r.check === 'string' ? `check ${r.check}` : '?';
  const value = r.value ?? r.passed ?? r.candidate ?? r.error ?? '';
  return `${label}: ${name} = ${JSON.stringify(value)}`;
}
