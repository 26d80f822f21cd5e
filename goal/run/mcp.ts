/**
 * The goal's MCP servers as the goal lives them: one that cannot be started on the goal's host makes the goal wait
 * (no turn is spent on it) with the reason in `needs attention`, posted once per distinct reason; its next start
 * clears it.
 */
import { event, needsAttention } from './events';
import type { GoalState } from './state';

/** An MCP server cannot be started (the model turn, or a compaction, could not list its tools). */
export function mcpUnavailable(s: GoalState, text: string, now: number): void {
  if (!s.mcpDown) s.mcpDown = { since: now, text };
  s.mcpDown.text = text;
  if (s.attention?.text !== text) needsAttention(s, text, now);
}

/** The goal's MCP servers started again: their needs-attention line goes (a later, other one stays). */
export function mcpBack(s: GoalState, now: number): void {
  const down = s.mcpDown;
  if (!down) return;
  if (s.attention?.text === down.text) s.attention = null;
  s.mcpDown = null;
  event(s, 'the MCP servers start again; the goal continues', now);
}
