/**
 * Goal status vocabulary and the results activities report back. Plain JSON types: they cross the
 * workflow boundary and are carried through continue-as-new.
 */
import type { Actor } from './actor';
import type { Verdict } from './decision';

export const PHASES = ['baseline', 'working', 'verifying', 'finalizing', 'done'] as const;
export type Phase = (typeof PHASES)[number];

export const GOAL_STATUSES = [
  'running',
  'achieved',
  'budget_exhausted',
  'stalled',
  'blocked',
  'cancelled',
  'failed',
] as const;
export type GoalStatusName = (typeof GOAL_STATUSES)[number];
export type FinalStatus = Exclude<GoalStatusName, 'running'>;

/** Significant events: each is posted to the goal's Slack thread once. */
export const EVENT_KINDS = [
  'baseline',
  'new_best',
  'milestone',
  'verification',
  'edit',
  'paused',
  'resumed',
  'attention',
  'host',
  'final',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One metric measurement as reported by the measure activity (raw samples stay in the ledger). */
export interface MetricResult {
  readonly name: string;
  /** Median of the samples; null when the command failed or printed no number. */
  readonly value: number | null;
  readonly samples: number;
  /** Why no value could be read, in words the agent and the user can act on. */
  readonly error?: string;
  readonly durationMs: number;
  /** For relative targets decided by paired runs: the sign test's verdict and its counts. */
  readonly verdict?: 'MET' | 'NOT_MET' | 'INCONCLUSIVE';
  readonly pairs?: { readonly passes: number; readonly n: number };
}

/** A checklist item's verification, by its command or by the judge. */
export interface ChecklistResult {
  readonly item: string;
  readonly verified: boolean;
  readonly by: 'command' | 'judge';
  readonly reason: string;
}

/** A change to a protected path found at verification (and undone). */
export interface IntegrityViolation {
  readonly path: string;
  readonly change: 'modified' | 'deleted' | 'added';
}

/** Everything one verification measured, before it is recorded. */
export interface VerificationRound {
  readonly metrics: MetricResult[];
  readonly checks: CheckResult[];
  readonly holdout: CheckResult[];
  readonly checklist: ChecklistResult[];
}

/** One check run as reported by the check activity. */
export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly exitCode: number | null;
  /** Short head+tail of the output (full output in the goal store). */
  readonly excerpt: string;
  readonly durationMs: number;
}

export interface MetricStatus {
  readonly name: string;
  readonly direction: 'lower' | 'higher';
  readonly baseline: number | null;
  readonly latest: number | null;
  readonly best: number | null;
  /** The absolute threshold (relative targets resolved against the baseline). */
  readonly target: number | null;
  readonly verdict: Verdict;
  readonly lastError?: string;
  /** Paired runs behind the verdict of a relative target: pairs past the target out of pairs run. */
  readonly pairs?: { readonly passes: number; readonly n: number };
}

export interface CheckStatus {
  readonly name: string;
  readonly baseline: boolean | null;
  readonly latest: boolean | null;
}

export interface BudgetUse {
  readonly used: number;
  readonly limit: number | null;
}

/** What the `status` query returns. */
export interface GoalStatusView {
  readonly goalId: string;
  readonly objective: string;
  readonly goalVersion: number;
  readonly phase: Phase;
  readonly status: GoalStatusName;
  readonly turn: number;
  readonly paused: boolean;
  readonly metrics: readonly MetricStatus[];
  readonly checks: readonly CheckStatus[];
  readonly budget: {
    readonly turns: BudgetUse;
    readonly tokens: BudgetUse;
    readonly hours: BudgetUse;
    /** US dollars, from the price table or the spec's model.price (0 when no price is known). */
    readonly cost: BudgetUse;
  };
  /** The model that answered the last turn (or the spec's), null before the first turn with the worker's default. */
  readonly model: string | null;
  /** `off` when the spec says `sandbox: off`: the agent's shell runs with the worker's rights. */
  readonly sandbox: 'on' | 'off';
  /** The agent's own account of what is done, what remains and its next step (`record_progress`). */
  readonly frontier: {
    readonly turn: number;
    readonly done: string;
    readonly remaining: string;
    readonly next: string;
  } | null;
  /** Set while the agent waits (the `wait` tool). */
  readonly waitingUntil: { readonly until: string; readonly reason: string } | null;
  /** Something the user should look at (stall warning, blocker, budget at 80%, model outage). */
  readonly attention: { readonly at: string; readonly text: string } | null;
  /** Hourly status refreshes done (progress document, Slack status message). */
  readonly refreshes: number;
  /** The Slack thread (channel and parent message), or why Slack is off. */
  readonly slack: { readonly channel: string | null; readonly parentTs: string | null; readonly off: string | null };
  /** Milestone commits on the goal branch. */
  readonly milestones: { readonly branch: string; readonly last: string | null; readonly count: number };
  /** The finalizing phase: the agent's reflection, the clean-up (kept or reverted), the push, the report's files. */
  readonly finalization: {
    readonly reflection: string | null;
    readonly cleanup: {
      readonly ran: boolean;
      readonly turns: number;
      readonly kept: boolean;
      readonly reason: string | null;
    } | null;
    readonly push: { readonly pushed: boolean; readonly error: string | null } | null;
    readonly report: { readonly markdown: string; readonly html: string } | null;
    /** The goal's pull request (git.pr) and the last problem syncing it; absent until there is either. */
    readonly pullRequest?: {
      readonly number: number | null;
      readonly url: string | null;
      readonly draft: boolean;
      readonly error: string | null;
    };
  };
  /**
   * The provider's prompt cache: input tokens so far, those it served from its cache (priced at the cached rate),
   * and their share in percent (null before any input). Absent from views of workers before it was counted.
   */
  readonly promptCache?: {
    readonly inputTokens: number;
    readonly cachedTokens: number;
    readonly hitPercent: number | null;
  };
  /** Compaction: summaries made, the last turn summarised, the last prompt's size in tokens. */
  readonly context: {
    readonly compactions: number;
    readonly summarisedThrough: number;
    readonly lastPromptTokens: number;
  };
  readonly progress: number;
  readonly lastEvent: { readonly at: string; readonly text: string } | null;
  /** The latest events (at most 20), oldest first, numbered so followers can tell new from seen. */
  readonly events: readonly {
    readonly seq: number;
    readonly at: string;
    readonly text: string;
    readonly kind?: EventKind;
  }[];
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly reason: string | null;
  readonly workspace: string;
  readonly startCommit: string | null;
  /** Accepted edits not yet applied (they apply at the next turn boundary). */
  readonly pendingEdits: readonly { readonly version: number; readonly at: string }[];
  /** Applied edits, oldest first: the goal's versions after the first. */
  readonly history: readonly {
    readonly version: number;
    readonly at: string;
    readonly turn: number;
    readonly changes: readonly string[];
    readonly reason: string | null;
    /** Who edited, when they said. */
    readonly by?: Actor;
  }[];
  /** The latest guidance sent with `guide` (at most 10), with who sent it when they said. */
  readonly guidance: readonly {
    readonly at: string;
    readonly turn: number;
    readonly text: string;
    readonly by?: Actor;
  }[];
  readonly pausedSince: string | null;
  /** Held-out checks by name only: the agent never sees them. */
  readonly holdout: readonly { readonly name: string; readonly latest: boolean | null }[];
  readonly checklist: readonly {
    readonly item: string;
    readonly verified: boolean | null;
    readonly by: 'command' | 'judge' | null;
    readonly reason: string | null;
  }[];
  /** Protected paths and attempts to change them (each undone, its measurement discarded). */
  readonly integrity: {
    readonly protectedFiles: number;
    readonly violations: number;
    readonly last: { readonly at: string; readonly turn: number; readonly paths: readonly string[] } | null;
    /** Writes the tools refused on protected paths: per path, why it is protected and how often. */
    readonly refusals: readonly { readonly path: string; readonly reason: string; readonly count: number }[];
  };
  /** Warnings for the user, e.g. a target inside the measurement noise. */
  readonly warnings: readonly string[];
  /** Side questions answered with `ask`, and their tokens (not counted toward the budget). */
  readonly asks: { readonly count: number; readonly tokens: number };
  /**
   * The host whose worker holds the workspace (null name: any worker), since when the goal waits for it, a move
   * under way and how the last one ended (goal/placement.ts).
   */
  readonly host: {
    readonly name: string | null;
    readonly lostSince: string | null;
    readonly moving: { readonly host: string; readonly workspace: string } | null;
    readonly lastMove: {
      readonly host: string;
      readonly ok: boolean;
      readonly text: string;
      readonly at: string;
    } | null;
    readonly moves: number;
  };
}

/** What the goal workflow returns when it ends. */
export interface GoalOutcome {
  readonly goalId: string;
  readonly status: FinalStatus;
  readonly reason: string;
  readonly turns: number;
  readonly tokens: number;
  readonly costUsd: number;
  readonly metrics: readonly MetricStatus[];
  readonly checks: readonly CheckStatus[];
}
