/** How the prompt cache's share is shown to people (status, the progress document, the final report). */
import type { GoalStatusView } from './status';

/** "92.4% of 1234567 input tokens served from the provider's cache (1140000 tokens)". */
export function cacheLine(c: NonNullable<GoalStatusView['promptCache']>): string {
  const pct = c.hitPercent === null ? 'n/a' : `${c.hitPercent.toFixed(1)}%`;
  return `${pct} of ${c.inputTokens} input tokens served from the provider's cache (${c.cachedTokens} tokens)`;
}
