/**
 * The goal as an entity: its state and the rules that move it (baseline, turns, verification, budget,
 * final status). Pure and deterministic, so the workflow only orchestrates and this is testable without
 * Temporal. The state is plain JSON so it survives the payload converter and continue-as-new.
 */
import { baselineProblem, better, progressOf, thresholdOf, verdictOf } from './decision';
import type { GoalSpec } from './spec';
import type {
  CheckResult,
  CheckStatus,
  FinalStatus,
  GoalOutcome,
  GoalStatusName,
  GoalStatusView,
  MetricResult,
  MetricStatus,
  Phase,
} from './status';
import type { TokenUsage } from './transcript';

export const STATE_VERSION = 1;

interface MetricState {
  name: string;
  baseline: number | null;
  latest: number | null;
  best: number | null;
  lastError?: string;
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
  reason: string | null;
}

/** Outcome of one verification round. */
export interface VerificationOutcome {
  readonly achieved: boolean;
  readonly summary: string;
}

export class GoalRun {
  constructor(readonly state: GoalState) {}

  static create(goalId: string, spec: GoalSpec, now: number): GoalRun {
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
      reason: null,
    });
  }

  get spec(): GoalSpec {
    return this.state.spec;
  }

  get finished(): boolean {
    return this.state.phase === 'done';
  }

  event(text: string, now: number): void {
    this.state.lastEvent = { at: now, text };
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

  /** Records the baseline; returns true when the criteria already hold (nothing to do). */
  recordBaseline(
    metrics: readonly MetricResult[],
    checks: readonly CheckResult[],
    fingerprint: string,
    now: number,
  ): VerificationOutcome {
    for (const r of metrics) {
      const m = this.metric(r.name);
      m.baseline = r.value;
      m.latest = r.value;
      m.best = r.value;
      m.lastError = r.error;
    }
    for (const r of checks) {
      const c = this.check(r.name);
      c.baseline = r.passed;
      c.latest = r.passed;
    }
    this.state.verifiedFingerprint = fingerprint;
    const outcome = this.assess();
    const text = `Baseline: ${this.describeCriteria()}`;
    this.event(text, now);
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

  recordModelTurn(usage: TokenUsage, toolCalls: number, now: number): void {
    this.state.tokens.input += usage.inputTokens;
    this.state.tokens.output += usage.outputTokens;
    this.state.tokens.total += usage.totalTokens;
    this.state.idleTurns = toolCalls === 0 ? this.state.idleTurns + 1 : 0;
    this.event(`turn ${this.state.turn}: ${toolCalls} tool call${toolCalls === 1 ? '' : 's'}`, now);
    if (toolCalls === 0) {
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
    const newBest: string[] = [];
    for (const r of metrics) {
      const m = this.metric(r.name);
      const spec = this.metricSpec(r.name);
      m.latest = r.value;
      m.lastError = r.error;
      if (r.value !== null && (m.best === null || better(spec.direction, r.value, m.best))) {
        m.best = r.value;
        newBest.push(r.name);
      }
    }
    for (const r of checks) this.check(r.name).latest = r.passed;
    this.state.verifiedFingerprint = fingerprint;
    const outcome = this.assess();
    this.event(`verified after turn ${this.state.turn}: ${outcome.summary}`, now);
    if (!outcome.achieved) {
      const failing = checks.filter((c) => !c.passed);
      const details = failing.map((c) => `Check "${c.name}" failed (exit ${c.exitCode ?? 'none'}):\n${c.excerpt}`);
      const errors = metrics.filter((r) => r.error).map((r) => `Metric ${r.name}: ${r.error ?? ''}`);
      this.note(
        [
          `${claimedDone ? 'You called `done`, but the' : 'The'} orchestrator's verification says the goal is not met yet: ${outcome.summary}`,
          ...errors,
          ...details,
        ].join('\n'),
      );
    }
    if (newBest.length > 0) this.event(`new best: ${newBest.join(', ')}`, now);
    return outcome;
  }

  /** A reason to stop for budget, or null while within every limit. */
  budgetExhausted(now: number): string | null {
    const b = this.spec.budget;
    if (this.state.turn >= b.maxTurns) return `used all ${b.maxTurns} turns`;
    if (b.maxTokens !== undefined && this.state.tokens.total >= b.maxTokens) {
      return `used ${this.state.tokens.total} of ${b.maxTokens} tokens`;
    }
    if (b.maxHours !== undefined && now - this.state.startedAt >= b.maxHours * 3_600_000) {
      return `ran for ${b.maxHours} hours`;
    }
    return null;
  }

  finish(status: FinalStatus, reason: string, now: number): void {
    this.state.status = status;
    this.state.reason = reason;
    this.state.phase = 'done';
    this.state.endedAt = now;
    this.event(`${status}: ${reason}`, now);
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
        verdict: verdictOf(spec, m.latest, m.baseline),
        ...(m.lastError ? { lastError: m.lastError } : {}),
      };
    });
  }

  checkStatuses(): CheckStatus[] {
    return this.state.checks.map((c) => ({ ...c }));
  }

  view(now: number, paused = false): GoalStatusView {
    const s = this.state;
    const b = s.spec.budget;
    return {
      goalId: s.goalId,
      objective: s.spec.objective,
      goalVersion: s.goalVersion,
      phase: s.phase,
      status: s.status,
      turn: s.turn,
      paused,
      metrics: this.metricStatuses(),
      checks: this.checkStatuses(),
      budget: {
        turns: { used: s.turn, limit: b.maxTurns },
        tokens: { used: s.tokens.total, limit: b.maxTokens ?? null },
        hours: { used: ((s.endedAt ?? now) - s.startedAt) / 3_600_000, limit: b.maxHours ?? null },
      },
      progress: this.progress(),
      lastEvent: s.lastEvent ? { at: new Date(s.lastEvent.at).toISOString(), text: s.lastEvent.text } : null,
      startedAt: new Date(s.startedAt).toISOString(),
      endedAt: s.endedAt === null ? null : new Date(s.endedAt).toISOString(),
      reason: s.reason,
      workspace: s.spec.workspace,
      startCommit: s.startCommit,
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
      metrics: this.metricStatuses(),
      checks: this.checkStatuses(),
    };
  }

  /** The criteria and their current state, one line each, for the agent's context and the UI. */
  describeCriteria(): string {
    const lines = [
      ...this.metricStatuses().map(
        (m) =>
          `metric ${m.name} (${m.direction} is better): baseline ${fmt(m.baseline)}, latest ${fmt(m.latest)}, best ${fmt(m.best)}, target ${m.direction === 'lower' ? '≤' : '≥'} ${fmt(m.target)} → ${m.verdict}${m.lastError ? ` (${m.lastError})` : ''}`,
      ),
      ...this.state.checks.map(
        (c) => `check "${c.name}": ${c.latest === null ? 'not run yet' : c.latest ? 'passes' : 'FAILS'}`,
      ),
    ];
    return lines.join('; ');
  }

  private assess(): VerificationOutcome {
    const metrics = this.metricStatuses();
    const achieved = metrics.every((m) => m.verdict === 'MET') && this.state.checks.every((c) => c.latest === true);
    return { achieved, summary: this.describeCriteria() };
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

function fmt(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
