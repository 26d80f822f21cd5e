/**
 * A turn of the agent: the notes waiting for it, the model's answer (tokens, tool calls, an outage's end), the
 * compaction of older turns, and the frontier the agent records for itself.
 */
import type { TokenUsage } from '../transcript';
import { NO_TOOL_CALL_NOTE } from './agent-text';
import { recordModelUsage } from './budget';
import { event } from './events';
import type { GoalState } from './state';

/** Longest frontier field kept; longer text is cut with a marker. */
const MAX_FRONTIER_CHARS = 2000;

export function note(s: Pick<GoalState, 'pendingNotes'>, text: string): void {
  s.pendingNotes.push(text);
}

/** Takes the notes for the next model turn (they are then part of that turn's transcript). */
export function takeNotes(s: Pick<GoalState, 'pendingNotes'>): string[] {
  const notes = s.pendingNotes;
  s.pendingNotes = [];
  return notes;
}

export function beginTurn(s: Pick<GoalState, 'turn' | 'phase'>): number {
  s.turn += 1;
  s.phase = 'working';
  return s.turn;
}

/** The model answered a turn (`label` names a turn that is not one of the goal's own, like a clean-up turn). */
export function recordModelTurn(
  s: GoalState,
  usage: TokenUsage,
  toolCalls: number,
  now: number,
  model?: string,
  label?: string,
): void {
  recordModelUsage(s, usage, model);
  s.context.lastPromptTokens = usage.inputTokens;
  if (s.outage) {
    event(s, `the model answers again (unreachable since ${new Date(s.outage.since).toISOString()})`, now);
    s.outage = null;
    s.attention = null;
  }
  s.idleTurns = toolCalls === 0 ? s.idleTurns + 1 : 0;
  event(s, `${label ?? `turn ${s.turn}`}: ${toolCalls} tool call${toolCalls === 1 ? '' : 's'}`, now);
  if (toolCalls === 0 && label === undefined) note(s, NO_TOOL_CALL_NOTE);
}

/** The summary of older turns was renewed (compaction). */
export function recordCompaction(s: GoalState, through: number, usage: TokenUsage, now: number): void {
  recordModelUsage(s, usage);
  s.context.compactions += 1;
  s.context.summarisedThrough = through;
  event(s, `context compacted: turns 1–${through} summarised`, now);
}

/** The agent's account of where it stands; re-injected into every turn's brief. */
export function setFrontier(
  s: Pick<GoalState, 'turn' | 'frontier'>,
  f: { done: string; remaining: string; next: string },
): void {
  const cap = (t: string) => (t.length > MAX_FRONTIER_CHARS ? `${t.slice(0, MAX_FRONTIER_CHARS)} […]` : t);
  s.frontier = { turn: s.turn, done: cap(f.done), remaining: cap(f.remaining), next: cap(f.next) };
}
