/**
 * The goal's state: everything the goal workflow carries, plain JSON so it survives the payload converter and
 * continue-as-new (goal/run/migrate.ts brings older versions up to this one), and the state of a new goal.
 */
import type { Actor } from '../actor';
import type { GoalEdit } from '../edit';
import { newHostState, type HostState } from '../placement';
import { checklistItems, type GoalSpec } from '../spec';
import type { EventKind, GoalStatusName, Phase } from '../status';
import { newWatchState, type WatchState } from '../watchdog';

/** The shape of GoalState; bumped (with a step in migrateState) whenever carried state changes shape. */
export const STATE_VERSION = 2;

export interface MetricState {
  name: string;
  baseline: number | null;
  latest: number | null;
  best: number | null;
  lastError?: string;
  /** The paired sign test's verdict for a relative target (absent: decided by the threshold). */
  verdict?: 'MET' | 'NOT_MET' | 'INCONCLUSIVE';
  pairs?: { passes: number; n: number };
}

export interface CheckState {
  name: string;
  baseline: boolean | null;
  latest: boolean | null;
}

/** Everything the goal workflow carries; small and JSON-plain. */
export interface GoalState {
  v: typeof STATE_VERSION;
  goalId: string;
  spec: GoalSpec;
  goalVersion: number;
  phase: Phase;
  status: GoalStatusName;
  turn: number;
  startedAt: number;
  endedAt: number | null;
  startCommit: string | null;
  /** Tokens spent; `cached`: input tokens the provider served from its prompt cache (added late in version 2). */
  tokens: { input: number; output: number; total: number; cached: number };
  metrics: MetricState[];
  checks: CheckState[];
  /** Workspace fingerprint at the last verification; a different one means files changed since. */
  verifiedFingerprint: string | null;
  /** Orchestrator messages waiting to be shown to the agent at its next turn. */
  pendingNotes: string[];
  /** Consecutive turns in which the model called no tool. */
  idleTurns: number;
  lastEvent: { at: number; text: string } | null;
  /** The latest events, oldest first, numbered: followers print those they have not seen (see MAX_EVENTS). */
  events: { seq: number; at: number; text: string; kind?: EventKind }[];
  /** Significant events not yet delivered to Slack (see MAX_OUTBOX), oldest first. */
  outbox: { seq: number; at: number; text: string; kind: EventKind }[];
  /** The model that answered the last turn (prices and context window depend on it). */
  modelName: string | null;
  /** Model spend in US dollars; counts only calls whose model has a known price. */
  costUsd: number;
  watch: WatchState;
  /** Set when a watchdog rule ends the goal; the loop stops at the next boundary. */
  stop: { status: 'stalled' | 'blocked'; reason: string } | null;
  /** What the agent says is done, what remains and its next step (`record_progress`); never compacted away. */
  frontier: { turn: number; done: string; remaining: string; next: string } | null;
  /** The agent asked to wait (`wait`) until this time. */
  waiting: { until: number; reason: string; lastGuidanceAt: number } | null;
  /** The model has been unreachable since this time (retries exhausted); cleared by the next answer. */
  outage: { since: number; error: string } | null;
  /** An MCP server of the spec has not started since this time (the goal waits); absent for goals that never had one down. */
  mcpDown?: { since: number; text: string } | null;
  /** Something the user should look at (stall warning, blocker, budget at 80%, outage); cleared when resolved. */
  attention: { at: number; text: string } | null;
  /** When the progress was last refreshed (hourly, and after events). */
  lastRefreshAt: number | null;
  /** Hourly refreshes done, for the UI and tests. */
  refreshes: number;
  /** Bumped whenever the progress document's content changes (measurements, edits, the end). */
  progressVersion: number;
  /** The goal's Slack thread once posted; `off` says why Slack is not used (no token, a config error). */
  slack: { channel: string | null; parentTs: string | null; off: string | null };
  /** Milestone commits on the goal branch: the latest commit and how many. */
  milestones: { branch: string; last: string | null; count: number };
  /** The finalizing phase: the agent's reflection, the clean-up's fate, the push, the final report. */
  finalization: Finalization;
  /** Older turns summarised so far (compaction), and the last prompt size the model reported. */
  context: { compactions: number; summarisedThrough: number; lastPromptTokens: number };
  reason: string | null;
  /** Accepted edits waiting for the next turn boundary, in order, each with the version it will create. */
  pendingEdits: { version: number; edit: GoalEdit; at: number; by?: Actor }[];
  /** Applied edits, oldest first. */
  history: EditRecord[];
  /** Guidance sent while the goal runs (`guide`), oldest first. */
  guidance: { at: number; turn: number; text: string; by?: Actor }[];
  paused: { since: number; reason: string | null } | null;
  /** Who asked to cancel the goal (`cancelRequested`), named in its final reason; absent when nobody said. */
  cancelledBy?: Actor;
  /** Time spent paused before the current pause; it does not count toward maxHours. */
  pausedMs: number;
  /** Side questions answered (`ask`); their tokens are counted apart from the run's budget. */
  asks: { count: number; tokens: number };
  holdout: { name: string; latest: boolean | null }[];
  checklist: ChecklistState[];
  integrity: {
    protectedFiles: number;
    violations: number;
    last: { at: number; turn: number; paths: string[] } | null;
    /**
     * Writes refused on protected paths, per path (goal/run/protection.ts); absent in states from before it was
     * added (read as none).
     */
    refusals?: RefusalState[];
  };
  /** The baseline worktree for paired runs, once created. */
  baselineDir: string | null;
  warnings: string[];
  /** The host whose worker holds the workspace (goal/placement.ts). */
  host: HostState;
  /**
   * The id of the goal store that holds the goal's records (GoalStore.storeId), from the worker that took the
   * baseline; every later activity carries it, and a worker with another store refuses (added in version 2).
   */
  storeId: string | null;
}

/** How often the agent was refused one protected path, why it is protected, and whether the user was told. */
export interface RefusalState {
  path: string;
  reason: string;
  count: number;
  alerted: boolean;
}

export interface ChecklistState {
  item: string;
  verified: boolean | null;
  by: 'command' | 'judge' | null;
  reason: string | null;
}

export interface Finalization {
  reflection: string | null;
  cleanup: CleanupRecord | null;
  push: { pushed: boolean; error: string | null } | null;
  report: { markdown: string; html: string } | null;
  /** The goal's pull request (git.pr) once opened, and the last problem syncing it; absent until then. */
  pullRequest?: PullRequestRecord;
}

export interface PullRequestRecord {
  number: number | null;
  url: string | null;
  draft: boolean;
  error: string | null;
}

/** How the clean-up ended: how many turns it took, and whether its changes were kept (and if not, why). */
export interface CleanupRecord {
  ran: boolean;
  turns: number;
  kept: boolean;
  reason: string | null;
}

export interface EditRecord {
  version: number;
  at: number;
  turn: number;
  changes: string[];
  reason: string | null;
  /** Who made the edit, when they said (absent for the CLI and older records). */
  by?: Actor;
}

export function noFinalization(): Finalization {
  return { reflection: null, cleanup: null, push: null, report: null };
}

export function noSlack(): GoalState['slack'] {
  return { channel: null, parentTs: null, off: null };
}

/** Every checklist item of the spec, none verified yet. */
export function uncheckedChecklist(spec: GoalSpec): ChecklistState[] {
  return checklistItems(spec).map((c) => ({ item: c.item, verified: null, by: null, reason: null }));
}

/** The goal branch: the spec's `git.branch`, else one named after the goal. */
export function goalBranch(goalId: string, branch: string | undefined): string {
  return branch ?? `longhaul/${goalId}`;
}

/** The state of a goal that has just been started: baseline phase, running, nothing measured. */
export function createState(goalId: string, spec: GoalSpec, now: number, host: string | null): GoalState {
  return {
    v: STATE_VERSION,
    goalId,
    spec,
    goalVersion: 1,
    phase: 'baseline',
    status: 'running',
    turn: 0,
    startedAt: now,
    endedAt: null,
    startCommit: null,
    tokens: { input: 0, output: 0, total: 0, cached: 0 },
    metrics: spec.metrics.map((m) => ({ name: m.name, baseline: null, latest: null, best: null })),
    checks: spec.checks.map((c) => ({ name: c.name, baseline: null, latest: null })),
    verifiedFingerprint: null,
    pendingNotes: [],
    idleTurns: 0,
    lastEvent: null,
    events: [],
    outbox: [],
    modelName: null,
    costUsd: 0,
    watch: newWatchState(),
    stop: null,
    frontier: null,
    waiting: null,
    outage: null,
    attention: null,
    lastRefreshAt: null,
    refreshes: 0,
    progressVersion: 0,
    slack: noSlack(),
    milestones: { branch: goalBranch(goalId, spec.git.branch), last: null, count: 0 },
    finalization: noFinalization(),
    context: { compactions: 0, summarisedThrough: 0, lastPromptTokens: 0 },
    reason: null,
    pendingEdits: [],
    history: [],
    guidance: [],
    paused: null,
    pausedMs: 0,
    asks: { count: 0, tokens: 0 },
    holdout: spec.holdout.map((h) => ({ name: h.name, latest: null })),
    checklist: uncheckedChecklist(spec),
    integrity: { protectedFiles: 0, violations: 0, last: null, refusals: [] },
    baselineDir: null,
    warnings: [],
    host: newHostState(host),
    storeId: null,
  };
}
