/**
 * The goal's host as the goal lives it (goal/placement.ts has the rules): its worker lost and back, a move asked
 * for, carried out or failed, and what the user and the agent are told of each.
 */
import type { HostMove } from '../placement';
import { movedNote } from './agent-text';
import { event, needsAttention } from './events';
import type { GoalState } from './state';
import { note } from './turn';

/** How a goal's needs-attention line about its lost host begins. */
const HOST_WAIT_TEXT = 'waiting for host';

/** The wait for the host is over: its needs-attention line goes (a later, other one stays). */
function clearHostAttention(s: Pick<GoalState, 'attention'>): void {
  if (s.attention?.text.startsWith(HOST_WAIT_TEXT)) s.attention = null;
}

/** The host's worker stopped taking the goal's activities: the goal waits for it (status, Slack). */
export function hostLost(s: GoalState, now: number): void {
  const h = s.host;
  if (h.lostSince !== null || h.name === null) return;
  h.lostSince = now;
  needsAttention(
    s,
    `${HOST_WAIT_TEXT} "${h.name}": its worker is not taking the goal's work. Restart the worker there, or move the goal: longhaul move ${s.goalId} --to <host>`,
    now,
  );
}

/** The host's worker answered again. */
export function hostBack(s: GoalState, now: number): void {
  const h = s.host;
  if (h.lostSince === null) return;
  h.lostSince = null;
  clearHostAttention(s);
  event(s, `host "${h.name}" is back; the goal continues`, now, 'host');
}

/** Queues a move (validated by the `move` update's validator with resolveMove). */
export function requestMove(s: Pick<GoalState, 'host'>, move: HostMove): void {
  s.host.move = move;
}

/**
 * The goal branch was re-cloned on the new host at `commit`: the goal continues there, from its last pushed
 * milestone. Work after that milestone stayed on the lost host, so the agent is told, and the next verification
 * measures afresh.
 */
export function moved(s: GoalState, commit: string, now: number): void {
  const h = s.host;
  const move = h.move;
  if (!move) return;
  const from = h.name;
  const last = s.milestones.last;
  const behind = last !== null && last !== commit;
  h.name = move.host;
  h.lostSince = null;
  h.move = null;
  h.moves += 1;
  s.spec = { ...s.spec, workspace: move.workspace };
  s.verifiedFingerprint = null;
  s.baselineDir = null;
  clearHostAttention(s);
  const text = `moved from host "${from}" to "${move.host}": ${move.workspace} re-cloned from ${move.remote} at ${commit.slice(0, 10)}${behind ? ` (the remote is behind the last milestone ${last.slice(0, 10)}, which stayed on "${from}")` : ''}`;
  h.lastMove = { host: move.host, ok: true, text, at: now };
  event(s, text, now, 'host');
  note(s, movedNote(move.workspace, commit));
}

/** A move failed (the clone, or the new host's worker is not there): the goal keeps waiting for its host. */
export function moveFailed(s: GoalState, error: string, now: number): void {
  const h = s.host;
  const move = h.move;
  if (!move) return;
  h.move = null;
  const text = `moving to host "${move.host}" failed: ${error}`;
  h.lastMove = { host: move.host, ok: false, text, at: now };
  needsAttention(s, text, now);
}
