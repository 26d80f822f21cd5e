/**
 * The goal as an entity: its state and the rules that move it (baseline, turns, verification, budget,
 * final status). Pure and deterministic, so the workflow only orchestrates and this is testable without
 * Temporal. The state is plain JSON so it survives the payload converter and continue-as-new.
 */
import { baselineProblem, better, progressOf, thresholdOf, verdictOf } from './decision';
import { applyEditToSpec, describeChanges, metricsToRebaseline, type GoalEdit } from './edit';
import { costOf, modelInfo } from './models';
import { checklistItems, type GoalSpec } from './spec';
import {
  afterToolCall,
  afterTurn,
  afterVerification,
  budgetWarnings,
  declareBlocker,
  newWatchState,
  workspaceChanged,
  type Watch,
  type WatchState,
} from './watchdog';
import type {
  ChecklistResult,
  CheckResult,
  IntegrityViolation,
  CheckStatus,
  EventKind,
  FinalStatus,
  GoalOutcome,
  GoalStatusName,
  GoalStatusView,
  MetricResult,
  MetricStatus,
  VerificationRound,
  Phase,
} from './status';
import type { TokenUsage } from './transcript';
import { formatValue } from './values';
import { newHostState, type HostMove, type HostState } from './placement';

export const STATE_VERSION = 1;

/** How a goal's needs-attention line about its lost host begins. */
const HOST_WAIT_TEXT = 'waiting for host';

interface MetricState {
  name: string;
  baseline: number | null;
  latest: number | null;
  best: number | null;
  lastError?: string;
  /** The paired sign test's verdict for a relative target (absent: decided by the threshold). */
  verdict?: 'MET' | 'NOT_MET' | 'INCONCLUSIVE';
  pairs?: { passes: number; n: number };
}

interface CheckState {
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
  tokens: { input: number; output: number; total: number };
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
  pendingEdits: { version: number; edit: GoalEdit; at: number }[];
  /** Applied edits, oldest first. */
  history: EditRecord[];
  /** Guidance sent while the goal runs (`guide`), oldest first. */
  guidance: { at: number; turn: number; text: string }[];
  paused: { since: number; reason: string | null } | null;
  /** Time spent paused before the current pause; it does not count toward maxHours. */
  pausedMs: number;
  /** Side questions answered (`ask`); their tokens are counted apart from the run's budget. */
  asks: { count: number; tokens: number };
  holdout: { name: string; latest: boolean | null }[];
  checklist: { item: string; verified: boolean | null; by: 'command' | 'judge' | null; reason: string | null }[];
  integrity: { protectedFiles: number; violations: number; last: { at: number; turn: number; paths: string[] } | null };
  /** The baseline worktree for paired runs, once created. */
  baselineDir: string | null;
  warnings: string[];
  /** The host whose worker holds the workspace (goal/placement.ts). */
  host: HostState;
}

export interface Finalization {
  reflection: string | null;
  cleanup: { ran: boolean; turns: number; kept: boolean; reason: string | null } | null;
  push: { pushed: boolean; error: string | null } | null;
  report: { markdown: string; html: string } | null;
}

const NO_FINALIZATION: Finalization = { reflection: null, cleanup: null, push: null, report: null };

export interface EditRecord {
  version: number;
  at: number;
  turn: number;
  changes: string[];
  reason: string | null;
}

/** Applied edits kept in the state (and in `status`); the goal version still counts them all. */
export const MAX_EDIT_RECORDS = 100;
/** Events kept in the state (and in `status`). */
export const MAX_EVENTS = 20;
/** Undelivered Slack events kept; if Slack is down so long that more pile up, the oldest are not posted. */
export const MAX_OUTBOX = 100;

/** Guidance entries kept in the state (and shown in the brief); older ones are dropped. */
export const MAX_GUIDANCE_ENTRIES = 50;
/** Longest guidance text accepted; longer text is cut with a marker. */
export const MAX_GUIDANCE_CHARS = 4000;

/** Outcome of one verification round. */
export interface VerificationOutcome {
  readonly achieved: boolean;
  readonly summary: string;
  /** Metrics that reached a new best value in this round. */
  readonly newBest: readonly string[];
}

export class GoalRun {
  constructor(readonly state: GoalState) {}

  static create(goalId: string, spec: GoalSpec, now: number, host: string | null = null): GoalRun {
    return new GoalRun({
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
      tokens: { input: 0, output: 0, total: 0 },
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
      slack: { channel: null, parentTs: null, off: null },
      milestones: { branch: spec.git.branch ?? `longhaul/${goalId}`, last: null, count: 0 },
      finalization: { ...NO_FINALIZATION },
      context: { compactions: 0, summarisedThrough: 0, lastPromptTokens: 0 },
      reason: null,
      pendingEdits: [],
      history: [],
      guidance: [],
      paused: null,
      pausedMs: 0,
      asks: { count: 0, tokens: 0 },
      holdout: spec.holdout.map((h) => ({ name: h.name, latest: null })),
      checklist: checklistItems(spec).map((c) => ({ item: c.item, verified: null, by: null, reason: null })),
      integrity: { protectedFiles: 0, violations: 0, last: null },
      baselineDir: null,
      warnings: [],
      host: newHostState(host),
    });
  }

  /** A run from carried state (continue-as-new), filling fields that older state versions lack. */
  static restore(state: GoalState): GoalRun {
    return new GoalRun({
      ...state,
      pendingEdits: state.pendingEdits ?? [],
      history: state.history ?? [],
      guidance: state.guidance ?? [],
      paused: state.paused ?? null,
      pausedMs: state.pausedMs ?? 0,
      asks: state.asks ?? { count: 0, tokens: 0 },
      events: state.events ?? [],
      outbox: state.outbox ?? [],
      modelName: state.modelName ?? null,
      costUsd: state.costUsd ?? 0,
      watch: state.watch ?? newWatchState(),
      stop: state.stop ?? null,
      frontier: state.frontier ?? null,
      waiting: state.waiting ?? null,
      outage: state.outage ?? null,
      attention: state.attention ?? null,
      lastRefreshAt: state.lastRefreshAt ?? null,
      refreshes: state.refreshes ?? 0,
      progressVersion: state.progressVersion ?? 0,
      slack: state.slack ?? { channel: null, parentTs: null, off: null },
      finalization: state.finalization ?? { ...NO_FINALIZATION },
      milestones: state.milestones ?? {
        branch: state.spec.git?.branch ?? `longhaul/${state.goalId}`,
        last: null,
        count: 0,
      },
      context: state.context ?? { compactions: 0, summarisedThrough: 0, lastPromptTokens: 0 },
      holdout: state.holdout ?? state.spec.holdout.map((h) => ({ name: h.name, latest: null })),
      checklist:
        state.checklist ??
        checklistItems(state.spec).map((c) => ({ item: c.item, verified: null, by: null, reason: null })),
      integrity: state.integrity ?? { protectedFiles: 0, violations: 0, last: null },
      baselineDir: state.baselineDir ?? null,
      warnings: state.warnings ?? [],
      host: state.host ?? newHostState(null),
    });
  }

  get spec(): GoalSpec {
    return this.state.spec;
  }

  get finished(): boolean {
    return this.state.phase === 'done';
  }

  /** Throws "the goal has already ended (status): <consequence>" once the goal is finalizing or done. */
  assertRunning(consequence: string): void {
    if (this.state.phase === 'done' || this.state.phase === 'finalizing') {
      throw new Error(`the goal has already ended (${this.state.status}): ${consequence}`);
    }
  }

  /** Records an event; a `kind` marks it significant (it goes to Slack). */
  event(text: string, now: number, kind?: EventKind): void {
    this.state.lastEvent = { at: now, text };
    const seq = (this.state.events.at(-1)?.seq ?? 0) + 1;
    this.state.events.push({ seq, at: now, text, ...(kind ? { kind } : {}) });
    if (this.state.events.length > MAX_EVENTS) this.state.events.shift();
    if (kind) {
      this.state.outbox.push({ seq, at: now, text, kind });
      if (this.state.outbox.length > MAX_OUTBOX) this.state.outbox.shift();
    }
  }

  /** A milestone commit landed on the goal branch (a retry that found it already there counts once). */
  recordMilestone(commit: string, what: string, now: number): void {
    if (commit === this.state.milestones.last) return;
    this.state.milestones.last = commit;
    this.state.milestones.count += 1;
    this.event(`milestone ${commit.slice(0, 10)} on ${this.state.milestones.branch}: ${what}`, now, 'milestone');
  }

  /** A one-line account of the metrics for commit messages: "score 0 → 7 (target ≥ 9)". */
  metricChange(): string {
    const parts = this.metricStatuses().map(
      (m) =>
        `${m.name} ${formatValue(m.baseline)} → ${formatValue(m.best)} (target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)})`,
    );
    const checks = this.state.checks.filter((c) => c.latest).length;
    if (this.state.checks.length > 0) parts.push(`${checks}/${this.state.checks.length} checks pass`);
    return parts.join(', ');
  }

  /** Drops delivered events from the outbox (those up to `seq`). */
  delivered(seq: number): void {
    this.state.outbox = this.state.outbox.filter((e) => e.seq > seq);
  }

  /** Something the user should look at; shown in status and posted to Slack as "needs attention". */
  needsAttention(text: string, now: number): void {
    this.state.attention = { at: now, text };
    this.event(`needs attention: ${text}`, now, 'attention');
  }

  /** The host's worker stopped taking the goal's activities: the goal waits for it (status, Slack). */
  hostLost(now: number): void {
    const h = this.state.host;
    if (h.lostSince !== null || h.name === null) return;
    h.lostSince = now;
    this.needsAttention(
      `${HOST_WAIT_TEXT} "${h.name}": its worker is not taking the goal's work. Restart the worker there, or move the goal: longhaul move ${this.state.goalId} --to <host>`,
      now,
    );
  }

  /** The host's worker answered again. */
  hostBack(now: number): void {
    const h = this.state.host;
    if (h.lostSince === null) return;
    h.lostSince = null;
    this.clearHostAttention();
    this.event(`host "${h.name}" is back; the goal continues`, now, 'host');
  }

  /** The wait for the host is over: its needs-attention line goes (a later, other one stays). */
  private clearHostAttention(): void {
    if (this.state.attention?.text.startsWith(HOST_WAIT_TEXT)) this.state.attention = null;
  }

  /** Queues a move (validated by the `move` update's validator with resolveMove). */
  requestMove(move: HostMove): void {
    this.state.host.move = move;
  }

  /**
   * The goal branch was re-cloned on the new host at `commit`: the goal continues there, from its last pushed
   * milestone. Work after that milestone stayed on the lost host, so the agent is told, and the next verification
   * measures afresh.
   */
  moved(commit: string, now: number): void {
    const h = this.state.host;
    const move = h.move;
    if (!move) return;
    const from = h.name;
    const last = this.state.milestones.last;
    const behind = last !== null && last !== commit;
    h.name = move.host;
    h.lostSince = null;
    h.move = null;
    h.moves += 1;
    this.state.spec = { ...this.state.spec, workspace: move.workspace };
    this.state.verifiedFingerprint = null;
    this.state.baselineDir = null;
    this.clearHostAttention();
    const text = `moved from host "${from}" to "${move.host}": ${move.workspace} re-cloned from ${move.remote} at ${commit.slice(0, 10)}${behind ? ` (the remote is behind the last milestone ${last.slice(0, 10)}, which stayed on "${from}")` : ''}`;
    h.lastMove = { host: move.host, ok: true, text, at: now };
    this.event(text, now, 'host');
    this.note(
      `The goal moved to another machine: the workspace (${move.workspace}) was re-cloned from the goal branch at ${commit.slice(0, 10)}. Changes made after that commit are not here; check the files before you rely on earlier turns.`,
    );
  }

  /** A move failed (the clone, or the new host's worker is not there): the goal keeps waiting for its host. */
  moveFailed(error: string, now: number): void {
    const h = this.state.host;
    const move = h.move;
    if (!move) return;
    h.move = null;
    const text = `moving to host "${move.host}" failed: ${error}`;
    h.lastMove = { host: move.host, ok: false, text, at: now };
    this.needsAttention(text, now);
  }

  setPhase(phase: Phase): void {
    this.state.phase = phase;
  }

  setStartCommit(commit: string): void {
    this.state.startCommit = commit;
  }

  /** Reasons the criteria cannot be decided from the recorded baseline (the goal cannot start). */
  baselineProblems(): string[] {
    return this.state.metrics
      .map((m) => baselineProblem(this.metricSpec(m.name), m.baseline, m.lastError))
      .filter((p): p is string => p !== null);
  }

  setProtectedFiles(count: number): void {
    this.state.integrity.protectedFiles = count;
  }

  setBaselineDir(dir: string): void {
    this.state.baselineDir = dir;
  }

  /** A warning for the user (shown in status and the UI); also recorded as the last event. */
  warn(text: string, now: number): void {
    if (!this.state.warnings.includes(text)) this.state.warnings.push(text);
    this.event(`warning: ${text}`, now);
  }

  /** Holdout and checklist results of a verification round (before recordBaseline/recordVerification). */
  recordExtras(holdout: readonly CheckResult[], checklist: readonly ChecklistResult[]): void {
    for (const h of holdout) {
      const s = this.state.holdout.find((x) => x.name === h.name);
      if (s) s.latest = h.passed;
    }
    for (const c of checklist) {
      const s = this.state.checklist.find((x) => x.item === c.item);
      if (s) Object.assign(s, { verified: c.verified, by: c.by, reason: c.reason });
    }
  }

  /**
   * A protected path was changed: the measurement is discarded (the workflow does not record it), the
   * files were restored, and the agent is told.
   */
  recordIntegrityViolation(violations: readonly IntegrityViolation[], restored: readonly string[], now: number): void {
    const paths = violations.map((v) => `${v.path} (${v.change})`);
    this.state.integrity.violations += 1;
    this.state.integrity.last = { at: now, turn: this.state.turn, paths: paths.slice(0, 20) };
    this.state.verifiedFingerprint = null;
    this.note(
      [
        `INTEGRITY VIOLATION: you changed protected files: ${paths.join(', ')}.`,
        "The goal's tests, benchmarks and measurement scripts may not be changed. They have been restored and this round's measurement was discarded.",
        ...restored.map((r) => `- ${r}`),
        'Reach the goal by changing the code under test, not the evaluator.',
      ].join('\n'),
    );
    this.needsAttention(
      `integrity violation after turn ${this.state.turn}: ${paths.join(', ')} (restored, measurement discarded)`,
      now,
    );
  }

  /** A metric's verdict for a value, against its current target and baseline. */
  verdictFor(name: string, value: number | null): ReturnType<typeof verdictOf> {
    return verdictOf(this.metricSpec(name), value, this.metric(name).baseline);
  }

  /** Whether a round met every measurable criterion (metrics, checks, held-out checks, command checklist items). */
  measurableMet(round: VerificationRound): boolean {
    return (
      round.metrics.every(
        (m) => (m.verdict ?? verdictOf(this.metricSpec(m.name), m.value, this.metric(m.name).baseline)) === 'MET',
      ) &&
      round.checks.every((c) => c.passed) &&
      round.holdout.every((c) => c.passed) &&
      round.checklist.every((c) => c.verified)
    );
  }

  /** Records the baseline; returns true when the criteria already hold (nothing to do). */
  recordBaseline(
    metrics: readonly MetricResult[],
    checks: readonly CheckResult[],
    fingerprint: string,
    now: number,
  ): VerificationOutcome {
    this.state.progressVersion += 1;
    for (const r of metrics) this.setBaseline(r);
    for (const r of checks) {
      const c = this.check(r.name);
      c.baseline = r.passed;
      c.latest = r.passed;
    }
    this.state.verifiedFingerprint = fingerprint;
    const outcome = this.assess();
    const text = `Baseline: ${this.describeCriteria()}`;
    this.event(text, now, 'baseline');
    this.state.pendingNotes.push(
      `${text}${outcome.achieved ? '' : '\nThe orchestrator measures these itself after you change files or call `done`.'}`,
    );
    const broken = metrics.filter((r) => r.value === null);
    if (broken.length > 0) {
      this.state.pendingNotes.push(
        `Some metrics could not be measured at baseline: ${broken.map((b) => `${b.name} (${b.error ?? 'no value'})`).join('; ')}.`,
      );
    }
    return outcome;
  }

  beginTurn(): number {
    this.state.turn += 1;
    this.state.phase = 'working';
    return this.state.turn;
  }

  /** Takes the notes for the next model turn (they are then part of that turn's transcript). */
  takeNotes(): string[] {
    const notes = this.state.pendingNotes;
    this.state.pendingNotes = [];
    return notes;
  }

  note(text: string): void {
    this.state.pendingNotes.push(text);
  }

  /** Tokens (and their cost) of a model call made for the goal (turns, compaction, the judge); they count toward the budget. */
  recordModelUsage(usage: TokenUsage, model?: string): void {
    if (model) this.state.modelName = model;
    this.state.tokens.input += usage.inputTokens;
    this.state.tokens.output += usage.outputTokens;
    this.state.tokens.total += usage.totalTokens;
    const price = this.modelInfo().price;
    if (price) this.state.costUsd += costOf(price, usage.inputTokens, usage.outputTokens);
  }

  /** Price and context window of the goal's model: the spec's overrides, else the built-in table. */
  modelInfo() {
    const m = this.spec.model;
    return modelInfo(this.state.modelName ?? m.name ?? null, {
      ...(m.price ? { price: m.price } : {}),
      ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}),
    });
  }

  /** Why a cost budget cannot be enforced (no price known for the model), or null. */
  costBudgetProblem(): string | null {
    if (this.spec.budget.maxCostUsd === undefined || this.modelInfo().price) return null;
    return `budget.maxCostUsd is set but no price is known for model "${this.state.modelName ?? this.spec.model.name ?? 'unknown'}": start the goal again with model.price { inputPerMTok, outputPerMTok } in its spec, or without budget.maxCostUsd`;
  }

  recordModelTurn(usage: TokenUsage, toolCalls: number, now: number, model?: string, label?: string): void {
    this.recordModelUsage(usage, model);
    this.state.context.lastPromptTokens = usage.inputTokens;
    if (this.state.outage) {
      this.event(`the model answers again (unreachable since ${new Date(this.state.outage.since).toISOString()})`, now);
      this.state.outage = null;
      this.clearAttention();
    }
    this.state.idleTurns = toolCalls === 0 ? this.state.idleTurns + 1 : 0;
    this.event(`${label ?? `turn ${this.state.turn}`}: ${toolCalls} tool call${toolCalls === 1 ? '' : 's'}`, now);
    if (toolCalls === 0 && label === undefined) {
      this.note(
        'You called no tool. Keep working toward the goal with the tools, or call `done` if you believe the criteria are met.',
      );
    }
  }

  /** Whether a verification is due: the agent claimed done, or the workspace changed since the last one. */
  needsVerification(fingerprint: string, claimedDone: boolean): boolean {
    return claimedDone || fingerprint !== this.state.verifiedFingerprint;
  }

  recordVerification(
    metrics: readonly MetricResult[],
    checks: readonly CheckResult[],
    fingerprint: string,
    claimedDone: boolean,
    now: number,
  ): VerificationOutcome {
    this.state.progressVersion += 1;
    const newBest: string[] = [];
    for (const r of metrics) {
      const m = this.metric(r.name);
      const spec = this.metricSpec(r.name);
      m.latest = r.value;
      m.lastError = r.error;
      if (r.verdict) m.verdict = r.verdict;
      else delete m.verdict;
      if (r.pairs) m.pairs = r.pairs;
      else delete m.pairs;
      if (r.value !== null && (m.best === null || better(spec.direction, r.value, m.best))) {
        m.best = r.value;
        newBest.push(r.name);
      }
    }
    for (const r of checks) this.check(r.name).latest = r.passed;
    this.state.verifiedFingerprint = fingerprint;
    const outcome = this.assess();
    // Routine verifications stay out of Slack; a claimed `done` and the verdict that ends the goal are news.
    this.event(
      `verified after turn ${this.state.turn}: ${outcome.summary}`,
      now,
      claimedDone || outcome.achieved ? 'verification' : undefined,
    );
    if (!outcome.achieved) {
      const failing = checks.filter((c) => !c.passed);
      const details = failing.map((c) => `Check "${c.name}" failed (exit ${c.exitCode ?? 'none'}):\n${c.excerpt}`);
      const holdoutFailed = this.state.holdout.filter((h) => h.latest === false).length;
      if (holdoutFailed > 0) {
        details.push(
          `${holdoutFailed} held-out check${holdoutFailed === 1 ? '' : 's'} (hidden from you on purpose) failed: the change must work in general, not only for the visible tests.`,
        );
      }
      for (const c of this.state.checklist.filter((x) => x.verified === false)) {
        details.push(`Checklist item not verified (${c.by ?? 'unchecked'}): "${c.item}" — ${c.reason ?? ''}`);
      }
      const errors = metrics.filter((r) => r.error).map((r) => `Metric ${r.name}: ${r.error ?? ''}`);
      this.note(
        [
          `${claimedDone ? 'You called `done`, but the' : 'The'} orchestrator's verification says the goal is not met yet: ${outcome.summary}`,
          ...errors,
          ...details,
        ].join('\n'),
      );
    }
    if (newBest.length > 0) {
      const what = newBest.map((n) => {
        const m = this.metric(n);
        return `${n} ${formatValue(m.baseline)} → ${formatValue(m.best)}`;
      });
      this.event(`new best: ${what.join(', ')}`, now, 'new_best');
      this.clearAttention();
    }
    if (!outcome.achieved)
      this.act(afterVerification(this.state.watch, this.spec.stall, this.progress(), newBest.length > 0), now);
    return { ...outcome, newBest };
  }

  /** A reason to stop for budget, or null while within every limit. */
  budgetExhausted(now: number): string | null {
    const b = this.spec.budget;
    if (this.state.turn >= b.maxTurns) return `used all ${b.maxTurns} turns`;
    if (b.maxHours !== undefined && this.hoursUsed(now) >= b.maxHours) {
      return `ran for ${b.maxHours} hours`;
    }
    return this.spendExhausted();
  }

  /** The spend limit (tokens or money) reached, or null: past it no model request is made, finishing included. */
  spendExhausted(): string | null {
    const b = this.spec.budget;
    if (b.maxTokens !== undefined && this.state.tokens.total >= b.maxTokens) {
      return `used ${this.state.tokens.total} of ${b.maxTokens} tokens`;
    }
    if (b.maxCostUsd !== undefined && this.state.costUsd >= b.maxCostUsd) {
      return `spent $${this.state.costUsd.toFixed(2)} of $${b.maxCostUsd.toFixed(2)}`;
    }
    return null;
  }

  /** Warns once per budget dimension at 80% (an attention event for the user). */
  warnBudgets(now: number): void {
    const b = this.spec.budget;
    const lines = budgetWarnings(this.state.watch, [
      { name: 'turns', used: this.state.turn, limit: b.maxTurns, unit: '' },
      { name: 'tokens', used: this.state.tokens.total, limit: b.maxTokens ?? null, unit: '' },
      { name: 'hours', used: this.hoursUsed(now), limit: b.maxHours ?? null, unit: 'h' },
      { name: 'cost', used: this.state.costUsd, limit: b.maxCostUsd ?? null, unit: 'USD' },
    ]);
    for (const line of lines) this.needsAttention(line, now);
  }

  // ---- watchdog: stalls, blockers, waits, outages ---------------------------------------------------------

  /** A tool call's outcome: repeated identical failures alert the user, then stall the goal. */
  recordToolOutcome(call: { sig: string; summary: string; failed: boolean }, now: number): void {
    this.act(afterToolCall(this.state.watch, this.spec.stall, call), now);
  }

  /** Files changed since the last verification: repeated failures from before no longer count as "the same". */
  workspaceChanged(): void {
    workspaceChanged(this.state.watch);
  }

  /** The agent declared a blocker this turn (the `blocked` tool). */
  declareBlocker(reason: string): void {
    declareBlocker(this.state.watch, reason);
  }

  /** End of a turn's tool calls: blockers on consecutive turns alert, then block the goal. */
  endTurn(now: number): void {
    this.act(afterTurn(this.state.watch), now);
  }

  /** The agent's account of where it stands; re-injected into every turn's brief. */
  setFrontier(f: { done: string; remaining: string; next: string }): void {
    const cap = (t: string) => (t.length > 2000 ? `${t.slice(0, 2000)} […]` : t);
    this.state.frontier = { turn: this.state.turn, done: cap(f.done), remaining: cap(f.remaining), next: cap(f.next) };
  }

  /** The agent asked to wait (the `wait` tool): until then, capped by what is left of the hours budget. */
  requestWait(minutes: number, reason: string, now: number): void {
    const maxHours = this.spec.budget.maxHours;
    const left = maxHours === undefined ? Infinity : Math.max(0, maxHours - this.hoursUsed(now)) * 3_600_000;
    const until = now + Math.min(minutes * 60_000, left);
    this.state.waiting = { until, reason, lastGuidanceAt: this.lastGuidanceAt() };
    this.event(
      `waiting ${Math.round((until - now) / 60_000)} min (until ${new Date(until).toISOString()}): ${reason}`,
      now,
    );
  }

  /** Whether a wait should end now: its time is up, or the user paused, edited or guided since it began. */
  waitOver(now: number): boolean {
    const w = this.state.waiting;
    if (!w) return true;
    return now >= w.until || this.waitCutShort();
  }

  /** The user paused, edited the goal or sent guidance since the wait began (the wait's own end aside). */
  waitCutShort(): boolean {
    const w = this.state.waiting;
    if (!w) return true;
    return this.paused || this.hasPendingEdits || this.lastGuidanceAt() !== w.lastGuidanceAt;
  }

  private lastGuidanceAt(): number {
    return this.state.guidance.at(-1)?.at ?? 0;
  }

  endWait(now: number): void {
    if (!this.state.waiting) return;
    const early = now < this.state.waiting.until;
    this.state.waiting = null;
    this.note(
      early
        ? 'Your wait was cut short (the user paused, edited the goal or sent guidance). Continue from here.'
        : 'The wait you asked for is over. Continue from here.',
    );
  }

  /** Model retries are exhausted: the outage is recorded (once) and the user alerted. */
  modelOutage(error: string, now: number): void {
    if (!this.state.outage) {
      this.state.outage = { since: now, error };
      this.needsAttention(`the model is unreachable (${error}); retrying`, now);
    } else {
      this.state.outage.error = error;
    }
  }

  /** The summary of older turns was renewed (compaction). */
  recordCompaction(through: number, usage: TokenUsage, now: number): void {
    this.recordModelUsage(usage);
    this.state.context.compactions += 1;
    this.state.context.summarisedThrough = through;
    this.event(`context compacted: turns 1–${through} summarised`, now);
  }

  clearAttention(): void {
    this.state.attention = null;
  }

  /** Ends the goal at the next boundary (the loop checks `stop`). */
  stopWith(status: 'stalled' | 'blocked', reason: string): void {
    this.state.stop ??= { status, reason };
  }

  private act(w: Watch, now: number): void {
    if (w.kind === 'attention') {
      this.needsAttention(w.text, now);
      if (w.noteForAgent) this.note(w.noteForAgent);
    } else if (w.kind === 'stop') {
      this.stopWith(w.status, w.reason);
    }
  }

  /** Working hours so far: wall-clock time since the start, less the time spent paused. */
  hoursUsed(now: number): number {
    const s = this.state;
    const end = s.endedAt ?? now;
    const paused = s.pausedMs + (s.paused ? end - s.paused.since : 0);
    return Math.max(0, end - s.startedAt - paused) / 3_600_000;
  }

  // ---- edits -------------------------------------------------------------------------------------------

  /** The spec as it will be once every pending edit is applied. */
  private projectedSpec(): GoalSpec {
    const none = { turns: 0, tokens: 0, hours: 0 };
    return this.state.pendingEdits.reduce((spec, p) => applyEditToSpec(spec, p.edit, none), this.spec);
  }

  /**
   * Checks an edit against the goal as it will stand (pending edits included) and what is already spent;
   * throws InvalidEditError, leaving everything unchanged. Returns the changes it would make.
   */
  validateEdit(edit: GoalEdit, now: number): string[] {
    this.assertRunning('edits only apply to running goals');
    const before = this.projectedSpec();
    const after = applyEditToSpec(before, edit, {
      turns: this.state.turn,
      tokens: this.state.tokens.total,
      hours: this.hoursUsed(now),
      costUsd: this.state.costUsd,
    });
    const changes = describeChanges(before, after);
    if (changes.length === 0) throw new Error('the edit changes nothing: the goal already reads that way');
    return changes;
  }

  /** Accepts a validated edit for the next turn boundary; returns the goal version it creates. */
  queueEdit(edit: GoalEdit, now: number): { goalVersion: number; changes: string[] } {
    const changes = this.validateEdit(edit, now);
    const version = this.state.goalVersion + this.state.pendingEdits.length + 1;
    this.state.pendingEdits.push({ version, edit, at: now });
    this.event(`edit accepted (version ${version}), applies at the next turn boundary: ${changes.join('; ')}`, now);
    return { goalVersion: version, changes };
  }

  get hasPendingEdits(): boolean {
    return this.state.pendingEdits.length > 0;
  }

  /**
   * Applies the pending edits (at a turn boundary): the spec, the metric and check states, the version
   * history, and a notice for the agent. Returns the metrics that need a new baseline.
   */
  applyPendingEdits(now: number): string[] {
    this.state.progressVersion += 1;
    const rebaseline = new Set<string>();
    const none = { turns: 0, tokens: 0, hours: 0 };
    for (const pending of this.state.pendingEdits) {
      const before = this.spec;
      const after = applyEditToSpec(before, pending.edit, none);
      const changes = describeChanges(before, after);
      for (const name of metricsToRebaseline(before, after)) rebaseline.add(name);
      this.state.spec = after;
      // A new target voids a verdict decided against the old one (the next verification decides again).
      for (const m of after.metrics) {
        const old = before.metrics.find((o) => o.name === m.name);
        const state = this.state.metrics.find((x) => x.name === m.name);
        if (old && state && JSON.stringify(old.target) !== JSON.stringify(m.target)) {
          delete state.verdict;
          delete state.pairs;
        }
      }
      this.state.metrics = after.metrics.map(
        (m) =>
          this.state.metrics.find((x) => x.name === m.name && !rebaseline.has(m.name)) ?? {
            name: m.name,
            baseline: null,
            latest: null,
            best: null,
          },
      );
      this.state.checks = after.checks.map((c) => {
        const old = before.checks.find((x) => x.name === c.name);
        const state = this.state.checks.find((x) => x.name === c.name);
        return old && state && old.command === c.command ? state : { name: c.name, baseline: null, latest: null };
      });
      this.state.checklist = checklistItems(after).map(
        (c) =>
          this.state.checklist.find((x) => x.item === c.item) ?? {
            item: c.item,
            verified: null,
            by: null,
            reason: null,
          },
      );
      this.state.goalVersion = pending.version;
      this.state.history.push({
        version: pending.version,
        at: now,
        turn: this.state.turn,
        changes,
        reason: pending.edit.reason ?? null,
      });
      if (this.state.history.length > MAX_EDIT_RECORDS) this.state.history.shift();
      this.note(
        [
          `GOAL UPDATED by the user to version ${pending.version}${pending.edit.reason ? ` (reason: ${pending.edit.reason})` : ''}:`,
          ...changes.map((c) => `- ${c}`),
          'The goal and criteria in your instructions are now current; plan your next step against them.',
        ].join('\n'),
      );
      this.event(`goal updated to version ${pending.version}: ${changes.join('; ')}`, now, 'edit');
    }
    this.state.pendingEdits = [];
    for (const name of [...rebaseline]) if (!this.spec.metrics.some((m) => m.name === name)) rebaseline.delete(name);
    // A changed criterion must be verified again even if no file changes.
    this.state.verifiedFingerprint = null;
    return [...rebaseline];
  }

  /** Records new baselines for re-baselined metrics. */
  recordRebaseline(results: readonly MetricResult[], now: number): void {
    this.state.progressVersion += 1;
    for (const r of results) this.setBaseline(r);
    if (results.length > 0) {
      const text = `New baseline after the edit: ${results.map((r) => `${r.name} = ${r.value ?? `n/a (${r.error ?? 'no value'})`}`).join(', ')}`;
      this.note(text);
      this.event(text, now);
    }
  }

  // ---- guidance and pause ------------------------------------------------------------------------------

  /** Appends guidance from the user; it reaches the agent at the next turn and stays in the brief. */
  guide(text: string, now: number): void {
    let t = text.trim();
    if (t === '') return;
    if (t.length > MAX_GUIDANCE_CHARS)
      t = `${t.slice(0, MAX_GUIDANCE_CHARS)} […cut at ${MAX_GUIDANCE_CHARS} characters]`;
    this.state.guidance.push({ at: now, turn: this.state.turn, text: t });
    if (this.state.guidance.length > MAX_GUIDANCE_ENTRIES) this.state.guidance.shift();
    this.note(`Guidance from the user: ${t}`);
    this.event(`guidance received: ${t.length > 80 ? `${t.slice(0, 77)}...` : t}`, now);
  }

  get paused(): boolean {
    return this.state.paused !== null;
  }

  /** Pauses at the next turn boundary. Idempotent. */
  pause(reason: string | null, now: number): void {
    this.assertRunning('there is nothing to pause');
    if (this.state.paused) return;
    this.state.paused = { since: now, reason };
    this.event(`paused${reason ? `: ${reason}` : ''}`, now, 'paused');
  }

  /** Resumes a paused goal. Idempotent. */
  resume(now: number): void {
    if (!this.state.paused) return;
    this.state.pausedMs += now - this.state.paused.since;
    this.state.paused = null;
    this.note('The goal was paused by the user and has been resumed. Continue where you left off.');
    this.event('resumed', now, 'resumed');
  }

  recordAsk(tokens: number): void {
    this.state.asks.count += 1;
    this.state.asks.tokens += tokens;
  }

  finish(status: FinalStatus, reason: string, now: number): void {
    this.state.progressVersion += 1;
    this.state.status = status;
    this.state.reason = reason;
    this.state.phase = 'done';
    this.state.endedAt = now;
    this.state.waiting = null;
    this.event(`${status}: ${reason}`, now, 'final');
  }

  /** Progress 0–1 toward the criteria: the mean over metrics and checks. */
  progress(): number {
    const parts = [
      ...this.state.metrics.map((m) => progressOf(this.metricSpec(m.name), m.latest, m.baseline)),
      ...this.state.checks.map((c) => (c.latest ? 1 : 0)),
    ];
    if (this.state.status === 'achieved') return 1;
    return parts.length === 0 ? 0 : parts.reduce((a, b) => a + b, 0) / parts.length;
  }

  metricStatuses(): MetricStatus[] {
    return this.state.metrics.map((m) => {
      const spec = this.metricSpec(m.name);
      return {
        name: m.name,
        direction: spec.direction,
        baseline: m.baseline,
        latest: m.latest,
        best: m.best,
        target: thresholdOf(spec, m.baseline),
        verdict: m.verdict ?? verdictOf(spec, m.latest, m.baseline),
        ...(m.lastError ? { lastError: m.lastError } : {}),
        ...(m.pairs ? { pairs: { ...m.pairs } } : {}),
      };
    });
  }

  checkStatuses(): CheckStatus[] {
    return this.state.checks.map((c) => ({ ...c }));
  }

  view(now: number): GoalStatusView {
    const s = this.state;
    const b = s.spec.budget;
    return {
      goalId: s.goalId,
      objective: s.spec.objective,
      goalVersion: s.goalVersion,
      phase: s.phase,
      status: s.status,
      turn: s.turn,
      paused: s.paused !== null,
      metrics: this.metricStatuses(),
      checks: this.checkStatuses(),
      budget: {
        turns: { used: s.turn, limit: b.maxTurns },
        tokens: { used: s.tokens.total, limit: b.maxTokens ?? null },
        hours: { used: this.hoursUsed(now), limit: b.maxHours ?? null },
        cost: { used: s.costUsd, limit: b.maxCostUsd ?? null },
      },
      model: s.modelName ?? s.spec.model.name ?? null,
      frontier: s.frontier ? { ...s.frontier } : null,
      waitingUntil: s.waiting ? { until: new Date(s.waiting.until).toISOString(), reason: s.waiting.reason } : null,
      attention: s.attention ? { at: new Date(s.attention.at).toISOString(), text: s.attention.text } : null,
      context: { ...s.context },
      refreshes: s.refreshes,
      slack: { ...s.slack },
      milestones: { ...s.milestones },
      finalization: {
        reflection: s.finalization.reflection,
        cleanup: s.finalization.cleanup ? { ...s.finalization.cleanup } : null,
        push: s.finalization.push ? { ...s.finalization.push } : null,
        report: s.finalization.report ? { ...s.finalization.report } : null,
      },
      progress: this.progress(),
      lastEvent: s.lastEvent ? { at: new Date(s.lastEvent.at).toISOString(), text: s.lastEvent.text } : null,
      events: s.events.map((e) => ({
        seq: e.seq,
        at: new Date(e.at).toISOString(),
        text: e.text,
        ...(e.kind ? { kind: e.kind } : {}),
      })),
      startedAt: new Date(s.startedAt).toISOString(),
      endedAt: s.endedAt === null ? null : new Date(s.endedAt).toISOString(),
      reason: s.reason,
      workspace: s.spec.workspace,
      startCommit: s.startCommit,
      pendingEdits: s.pendingEdits.map((p) => ({ version: p.version, at: new Date(p.at).toISOString() })),
      history: s.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
      guidance: s.guidance.slice(-10).map((g) => ({ ...g, at: new Date(g.at).toISOString() })),
      pausedSince: s.paused ? new Date(s.paused.since).toISOString() : null,
      asks: { ...s.asks },
      holdout: s.holdout.map((h) => ({ ...h })),
      checklist: s.checklist.map((c) => ({ ...c })),
      integrity: {
        protectedFiles: s.integrity.protectedFiles,
        violations: s.integrity.violations,
        last: s.integrity.last ? { ...s.integrity.last, at: new Date(s.integrity.last.at).toISOString() } : null,
      },
      warnings: [...s.warnings],
      host: {
        name: s.host.name,
        lostSince: s.host.lostSince === null ? null : new Date(s.host.lostSince).toISOString(),
        moving: s.host.move ? { host: s.host.move.host, workspace: s.host.move.workspace } : null,
        lastMove: s.host.lastMove ? { ...s.host.lastMove, at: new Date(s.host.lastMove.at).toISOString() } : null,
        moves: s.host.moves,
      },
    };
  }

  outcome(): GoalOutcome {
    const s = this.state;
    if (s.status === 'running') throw new Error('outcome() of a goal that is still running');
    return {
      goalId: s.goalId,
      status: s.status,
      reason: s.reason ?? '',
      turns: s.turn,
      tokens: s.tokens.total,
      costUsd: s.costUsd,
      metrics: this.metricStatuses(),
      checks: this.checkStatuses(),
    };
  }

  /** The criteria and their current state, one line each, for the agent's context and the UI. */
  describeCriteria(): string {
    const lines = [
      ...this.metricStatuses().map(
        (m) =>
          `metric ${m.name} (${m.direction} is better): baseline ${formatValue(m.baseline)}, latest ${formatValue(m.latest)}, best ${formatValue(m.best)}, target ${m.direction === 'lower' ? '≤' : '≥'} ${formatValue(m.target)} → ${m.verdict}${m.lastError ? ` (${m.lastError})` : ''}`,
      ),
      ...this.state.checks.map(
        (c) => `check "${c.name}": ${c.latest === null ? 'not run yet' : c.latest ? 'passes' : 'FAILS'}`,
      ),
      ...this.state.checklist.map(
        (c) =>
          `checklist "${c.item}": ${c.verified === null ? 'not verified yet' : c.verified ? 'verified' : 'NOT verified'}`,
      ),
    ];
    const hidden = this.state.holdout.filter((h) => h.latest === false).length;
    if (hidden > 0) lines.push(`held-out checks: ${hidden} failing`);
    return lines.join('; ');
  }

  private assess(): VerificationOutcome {
    const metrics = this.metricStatuses();
    const achieved =
      metrics.every((m) => m.verdict === 'MET') &&
      this.state.checks.every((c) => c.latest === true) &&
      this.state.holdout.every((h) => h.latest === true) &&
      this.state.checklist.every((c) => c.verified === true);
    return { achieved, summary: this.describeCriteria(), newBest: [] };
  }

  /** A baseline measurement is also the latest and the best value so far. */
  private setBaseline(r: MetricResult): void {
    const m = this.metric(r.name);
    m.baseline = r.value;
    m.latest = r.value;
    m.best = r.value;
    m.lastError = r.error;
  }

  private metric(name: string): MetricState {
    const m = this.state.metrics.find((x) => x.name === name);
    if (!m) throw new Error(`unknown metric ${name}`);
    return m;
  }

  private metricSpec(name: string): GoalSpec['metrics'][number] {
    const m = this.spec.metrics.find((x) => x.name === name);
    if (!m) throw new Error(`unknown metric ${name}`);
    return m;
  }

  private check(name: string): CheckState {
    const c = this.state.checks.find((x) => x.name === name);
    if (!c) throw new Error(`unknown check ${name}`);
    return c;
  }
}
