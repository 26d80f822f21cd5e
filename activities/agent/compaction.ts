/**
 * The compaction activity (`compactContext`): before a turn whose oldest turns no longer fit its prompt budget, the
 * workflow asks for them to be summarised (activities/agent/compact.ts), as its own activity, so the compaction is
 * visible in the UI and its tokens reach the budget whether or not the turn then succeeds. Idempotent: a retry
 * after the summary was stored returns what that attempt spent instead of summarising again.
 */
import type { TokenUsage } from '../../goal/transcript';
import { compact } from './compact';
import type { ModelDeps } from '../model/call';
import type { GoalStore } from '../store/types';
import type { TurnRecords } from '../store/turn-records';
import type { CompactionReason } from './turn';
import { cutPoint, turnContext, type TurnContextInput } from './turn-context';

export interface CompactContextInput extends TurnContextInput {
  /** Why the turn asked (its `compactFirst`); with the turn number, it names this compaction. */
  readonly reason: CompactionReason;
  /** The newest turns filling this many characters stay verbatim. */
  readonly keepChars: number;
}

export interface CompactContextResult {
  /** Turns 1..through are summarised now. */
  readonly through: number;
  /** The summariser's tokens. */
  readonly usage: TokenUsage;
}

export async function compactContext(
  deps: ModelDeps & {
    readonly store: GoalStore;
    readonly records?: TurnRecords;
    readonly maxTranscriptChars: number;
  },
  input: CompactContextInput,
): Promise<CompactContextResult | null> {
  const key = `turn ${input.turn}: ${input.reason}`;
  const previous = await deps.store.readSummary(input.goalId);
  if (previous?.by?.key === key) return { through: previous.through, usage: previous.by.usage };
  const through = await cutPoint(deps.store, input, input.keepChars, deps.records);
  if (through === null) return null;
  const { promptChars } = await turnContext(deps, input);
  const result = await compact(deps, {
    goalId: input.goalId,
    turn: input.turn,
    model: input.model,
    through,
    chunkChars: Math.max(4_000, promptChars * 0.8),
    key,
  });
  return { through, usage: result.usage };
}
