/**
 * What the goal may spend and has spent: working hours, turns, tokens and money (priced by the goal's model), the
 * limits that end it, and the warnings at 80%.
 */
import { costOf, modelInfo as modelInfoOf, type ModelInfo } from '../models';
import type { TokenUsage } from '../transcript';
import { budgetWarnings } from '../watchdog';
import { needsAttention } from './events';
import type { GoalState } from './state';

/** Working hours so far: wall-clock time since the start, less the time spent paused. */
export function hoursUsed(s: GoalState, now: number): number {
  const end = s.endedAt ?? now;
  const paused = s.pausedMs + (s.paused ? end - s.paused.since : 0);
  return Math.max(0, end - s.startedAt - paused) / 3_600_000;
}

/** A reason to stop for budget, or null while within every limit. */
export function budgetExhausted(s: GoalState, now: number): string | null {
  const b = s.spec.budget;
  if (s.turn >= b.maxTurns) return `used all ${b.maxTurns} turns`;
  if (b.maxHours !== undefined && hoursUsed(s, now) >= b.maxHours) {
    return `ran for ${b.maxHours} hours`;
  }
  return spendExhausted(s);
}

/** The spend limit (tokens or money) reached, or null: past it no model request is made, finishing included. */
export function spendExhausted(s: GoalState): string | null {
  const b = s.spec.budget;
  if (b.maxTokens !== undefined && s.tokens.total >= b.maxTokens) {
    return `used ${s.tokens.total} of ${b.maxTokens} tokens`;
  }
  if (b.maxCostUsd !== undefined && s.costUsd >= b.maxCostUsd) {
    return `spent $${s.costUsd.toFixed(2)} of $${b.maxCostUsd.toFixed(2)}`;
  }
  return null;
}

/** Warns once per budget dimension at 80% (an attention event for the user). */
export function warnBudgets(s: GoalState, now: number): void {
  const b = s.spec.budget;
  const lines = budgetWarnings(s.watch, [
    { name: 'turns', used: s.turn, limit: b.maxTurns, unit: '' },
    { name: 'tokens', used: s.tokens.total, limit: b.maxTokens ?? null, unit: '' },
    { name: 'hours', used: hoursUsed(s, now), limit: b.maxHours ?? null, unit: 'h' },
    { name: 'cost', used: s.costUsd, limit: b.maxCostUsd ?? null, unit: 'USD' },
  ]);
  for (const line of lines) needsAttention(s, line, now);
}

/** Price and context window of the goal's model: the spec's overrides, else the built-in table. */
export function modelInfo(s: GoalState): ModelInfo {
  const m = s.spec.model;
  return modelInfoOf(s.modelName ?? m.name ?? null, {
    ...(m.price ? { price: m.price } : {}),
    ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}),
  });
}

/** Tokens (and their cost) of a model call made for the goal (turns, compaction, the judge); they count toward the budget. */
export function recordModelUsage(s: GoalState, usage: TokenUsage, model?: string): void {
  if (model) s.modelName = model;
  s.tokens.input += usage.inputTokens;
  s.tokens.output += usage.outputTokens;
  s.tokens.total += usage.totalTokens;
  s.tokens.cached = (s.tokens.cached ?? 0) + (usage.cachedInputTokens ?? 0);
  const price = modelInfo(s).price;
  if (price) s.costUsd += costOf(price, usage.inputTokens, usage.outputTokens, usage.cachedInputTokens);
}

/** Why a cost budget cannot be enforced (no price known for the model), or null. */
export function costBudgetProblem(s: GoalState): string | null {
  if (s.spec.budget.maxCostUsd === undefined || modelInfo(s).price) return null;
  return `budget.maxCostUsd is set but no price is known for model "${s.modelName ?? s.spec.model.name ?? 'unknown'}": start the goal again with model.price { inputPerMTok, outputPerMTok } in its spec, or without budget.maxCostUsd`;
}

/** A side question answered (`ask`): its tokens are counted apart from the budget. */
export function recordAsk(s: Pick<GoalState, 'asks'>, tokens: number): void {
  s.asks.count += 1;
  s.asks.tokens += tokens;
}
