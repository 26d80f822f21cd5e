/**
 * The rules that end runaway goals: budget warnings at 80%, stall detection (no progress over many
 * verifications; the same failing tool call repeated while nothing changes) and blocker detection (the agent
 * declares itself blocked on consecutive turns). Pure; GoalRun holds the state and acts on the verdicts.
 */
import type { StallSpec } from './spec';

/** Watchdog state, carried in the goal state (small, JSON-plain). */
export interface WatchState {
  /** Verifications since the last one that made progress (a new best or a higher progress). */
  sinceProgress: number;
  bestProgress: number;
  /** Failing tool calls since the workspace last changed, by call signature (name + arguments digest). */
  failures: { sig: string; summary: string; count: number }[];
  /** Consecutive turns on which the agent declared a blocker, and the latest one. */
  blockerTurns: number;
  lastBlocker: string | null;
  /** Whether the current turn declared a blocker (reset at each turn's end). */
  blockerThisTurn: boolean;
  /** Budget dimensions already warned about at 80%. */
  budgetWarned: string[];
}

export function newWatchState(): WatchState {
  return {
    sinceProgress: 0,
    bestProgress: 0,
    failures: [],
    blockerTurns: 0,
    lastBlocker: null,
    blockerThisTurn: false,
    budgetWarned: [],
  };
}

/** What the goal should do after a watchdog observation. */
export type Watch =
  | { readonly kind: 'ok' }
  | { readonly kind: 'attention'; readonly text: string; readonly noteForAgent?: string }
  | { readonly kind: 'stop'; readonly status: 'stalled' | 'blocked'; readonly reason: string };

const OK: Watch = { kind: 'ok' };

/** Tracked signatures of failing calls; older ones are forgotten. */
const MAX_FAILURE_SIGNATURES = 20;
/** Consecutive turns with a declared blocker that end the goal `blocked`. */
export const BLOCKER_TURNS = 3;
/** The share of a budget at which the user is warned. */
export const BUDGET_WARNING_SHARE = 0.8;

/** After a verification: progress resets the count; no progress for `noProgress` verifications stalls the goal. */
export function afterVerification(w: WatchState, stall: StallSpec, progress: number, newBest: boolean): Watch {
  if (newBest || progress > w.bestProgress + 1e-9) {
    w.sinceProgress = 0;
    w.bestProgress = Math.max(w.bestProgress, progress);
    return OK;
  }
  w.sinceProgress += 1;
  if (w.sinceProgress >= stall.noProgress) {
    return {
      kind: 'stop',
      status: 'stalled',
      reason: `no new best in ${w.sinceProgress} verifications (stall.noProgress = ${stall.noProgress})`,
    };
  }
  if (w.sinceProgress === Math.ceil(stall.noProgress / 2)) {
    return {
      kind: 'attention',
      text: `no new best in ${w.sinceProgress} verifications; the goal stops as stalled after ${stall.noProgress}`,
      noteForAgent: `No measurable progress in the last ${w.sinceProgress} verifications. Step back: re-read the frontier, question your approach, and try something different. After ${stall.noProgress} verifications without progress the goal stops as stalled.`,
    };
  }
  return OK;
}

/** The workspace changed: repeated failures since the last change no longer count as "the same". */
export function workspaceChanged(w: WatchState): void {
  w.failures = [];
}

/** A tool call finished; the same call failing `repeatedFailures` times alerts, twice as many stalls. */
export function afterToolCall(
  w: WatchState,
  stall: StallSpec,
  call: { sig: string; summary: string; failed: boolean },
): Watch {
  if (!call.failed) return OK;
  let entry = w.failures.find((f) => f.sig === call.sig);
  if (!entry) {
    entry = { sig: call.sig, summary: call.summary, count: 0 };
    w.failures.push(entry);
    if (w.failures.length > MAX_FAILURE_SIGNATURES) w.failures.shift();
  }
  entry.count += 1;
  const k = stall.repeatedFailures;
  if (entry.count >= 2 * k) {
    return {
      kind: 'stop',
      status: 'stalled',
      reason: `the same failing call (${entry.summary}) was repeated ${entry.count} times without any change in the workspace`,
    };
  }
  if (entry.count === k) {
    return {
      kind: 'attention',
      text: `the agent repeats a failing call (${entry.summary}) ×${k} without changing anything`,
      noteForAgent: `You ran ${entry.summary} ${k} times; it failed every time and nothing in the workspace changed in between. Repeating it will not help: read the error, change something, or take another approach. At ${2 * k} repetitions the goal stops as stalled.`,
    };
  }
  return OK;
}

/** The agent declared a blocker (the `blocked` tool) during the current turn. */
export function declareBlocker(w: WatchState, reason: string): void {
  w.blockerThisTurn = true;
  w.lastBlocker = reason;
}

/** At the end of a turn: a blocker on 3 consecutive turns ends the goal; the first one alerts the user. */
export function afterTurn(w: WatchState): Watch {
  if (!w.blockerThisTurn) {
    w.blockerTurns = 0;
    return OK;
  }
  w.blockerThisTurn = false;
  w.blockerTurns += 1;
  const reason = w.lastBlocker ?? 'no reason given';
  if (w.blockerTurns >= BLOCKER_TURNS) {
    return {
      kind: 'stop',
      status: 'blocked',
      reason: `the agent is blocked (declared on ${w.blockerTurns} consecutive turns): ${reason}`,
    };
  }
  if (w.blockerTurns === 1) return { kind: 'attention', text: `the agent says it is blocked: ${reason}` };
  return OK;
}

export interface BudgetUseLine {
  readonly name: string;
  readonly used: number;
  readonly limit: number | null;
  readonly unit: string;
}

/** Budgets that just crossed 80% (each reported once). */
export function budgetWarnings(w: WatchState, uses: readonly BudgetUseLine[]): string[] {
  const out: string[] = [];
  for (const u of uses) {
    if (u.limit === null || u.limit <= 0 || w.budgetWarned.includes(u.name)) continue;
    if (u.used / u.limit >= BUDGET_WARNING_SHARE) {
      w.budgetWarned.push(u.name);
      out.push(
        `budget at ${Math.floor((u.used / u.limit) * 100)}%: ${u.name} ${formatUse(u.used, u.unit)} of ${formatUse(u.limit, u.unit)}`,
      );
    }
  }
  return out;
}

function formatUse(n: number, unit: string): string {
  if (unit === 'USD') return `$${n.toFixed(2)}`;
  if (unit === 'h') return `${n.toFixed(1)} h`;
  return String(Math.round(n));
}
