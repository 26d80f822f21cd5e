/**
 * The goal as an entity: GoalRun holds the state and is what the workflows call; the rules that move the state
 * live in goal/run/, one concern a module (each a set of pure functions over the state, as goal/watchdog.ts is).
 * Deterministic, so the workflow only orchestrates and all of this is testable without Temporal.
 */
import type { Actor } from './actor';
import type { GoalEdit } from './edit';
import type { HostMove } from './placement';
import { noiseWarning } from './rounds';
import type { GoalSpec, MetricSpec } from './spec';
import type {
  ChecklistResult,
  CheckResult,
  CheckStatus,
  EventKind,
  FinalStatus,
  GoalOutcome,
  GoalStatusView,
  IntegrityViolation,
  MetricResult,
  MetricStatus,
  Phase,
  VerificationRound,
} from './status';
import type { TokenUsage } from './transcript';
import * as budget from './run/budget';
import * as criteria from './run/criteria';
import * as edits from './run/edits';
import * as events from './run/events';
import * as end from './run/finish';
import * as host from './run/host';
import * as mcp from './run/mcp';
import { migrateState } from './run/migrate';
import * as milestones from './run/milestones';
import * as protection from './run/protection';
import { createState, type GoalState } from './run/state';
import * as turns from './run/turn';
import * as verification from './run/verification';
import * as view from './run/view';
import * as watch from './run/watch';

export { MAX_EDIT_RECORDS, MAX_GUIDANCE_CHARS, MAX_GUIDANCE_ENTRIES } from './run/edits';
export { MAX_EVENTS, MAX_OUTBOX } from './run/events';
export { cleanupTampered, type CleanupStart } from './run/finish';
export { migrateState, UnknownStateVersionError } from './run/migrate';
export { STATE_VERSION, type EditRecord, type Finalization, type GoalState } from './run/state';
export { judgeEvidence } from './run/agent-text';
export type { VerificationOutcome } from './run/verification';

type Ending = { status: FinalStatus; reason: string };
type Pairs = readonly { readonly baseline: number; readonly candidate: number }[];

export class GoalRun {
  constructor(readonly state: GoalState) {}

  static create(goalId: string, spec: GoalSpec, now: number, host: string | null = null): GoalRun {
    return new GoalRun(createState(goalId, spec, now, host));
  }
  /** A run from carried state (continue-as-new), of this state version or an older one (see migrateState). */
  static restore(state: unknown): GoalRun {
    return new GoalRun(migrateState(state));
  }

  get spec(): GoalSpec {
    return this.state.spec;
  }
  get finished(): boolean {
    return this.state.phase === 'done';
  }
  get paused(): boolean {
    return this.state.paused !== null;
  }
  get hasPendingEdits(): boolean {
    return this.state.pendingEdits.length > 0;
  }

  // ---- phase and workspace facts -------------------------------------------------------------------------
  setPhase(phase: Phase): void {
    this.state.phase = phase;
  }
  setStartCommit(commit: string): void {
    this.state.startCommit = commit;
  }
  /** The goal store the baseline's worker wrote to: later activities must run on workers with the same store. */
  recordStore(storeId: string): void {
    this.state.storeId ??= storeId;
  }
  setProtectedFiles(count: number): void {
    this.state.integrity.protectedFiles = count;
  }
  setBaselineDir(dir: string): void {
    this.state.baselineDir = dir;
  }

  // ---- events, Slack, attention (run/events.ts) ----------------------------------------------------------
  event(text: string, now: number, kind?: EventKind): void {
    events.event(this.state, text, now, kind);
  }
  delivered(seq: number): void {
    events.delivered(this.state, seq);
  }
  needsAttention(text: string, now: number): void {
    events.needsAttention(this.state, text, now);
  }
  clearAttention(): void {
    this.state.attention = null;
  }
  warn(text: string, now: number): void {
    events.warn(this.state, text, now);
  }
  slackThread(channel: string, parentTs: string): void {
    events.slackThread(this.state, channel, parentTs);
  }
  slackOff(reason: string): void {
    events.slackOff(this.state, reason);
  }
  slackMisconfigured(error: string, now: number): void {
    events.slackMisconfigured(this.state, error, now);
  }
  refreshed(now: number): void {
    events.refreshed(this.state, now);
  }

  // ---- the goal branch (run/milestones.ts) ---------------------------------------------------------------
  recordMilestone(commit: string, what: string, now: number): void {
    milestones.recordMilestone(this.state, commit, what, now);
  }
  recordPush(pushed: boolean, error: string | null, now: number): void {
    milestones.recordPush(this.state, pushed, error, now);
  }
  recordPullRequest(pr: { number: number; url: string; draft: boolean }, now: number): void {
    milestones.recordPullRequest(this.state, pr, now);
  }
  pullRequestFailed(error: string, now: number): void {
    milestones.pullRequestFailed(this.state, error, now);
  }

  // ---- the host (run/host.ts) ----------------------------------------------------------------------------
  hostLost(now: number): void {
    host.hostLost(this.state, now);
  }
  hostBack(now: number): void {
    host.hostBack(this.state, now);
  }
  requestMove(move: HostMove): void {
    host.requestMove(this.state, move);
  }
  moved(commit: string, now: number): void {
    host.moved(this.state, commit, now);
  }
  moveFailed(error: string, now: number): void {
    host.moveFailed(this.state, error, now);
  }

  // ---- criteria (run/criteria.ts) ------------------------------------------------------------------------
  metricStatuses(): MetricStatus[] {
    return criteria.metricStatuses(this.state);
  }
  checkStatuses(): CheckStatus[] {
    return criteria.checkStatuses(this.state);
  }
  progress(): number {
    return criteria.progress(this.state);
  }
  describeCriteria(): string {
    return criteria.describeCriteria(this.state);
  }
  metricChange(): string {
    return criteria.metricChange(this.state);
  }
  verdictFor(name: string, value: number | null): ReturnType<typeof criteria.verdictFor> {
    return criteria.verdictFor(this.state, name, value);
  }

  // ---- verification (run/verification.ts) ----------------------------------------------------------------
  baselineProblems(): string[] {
    return verification.baselineProblems(this.state);
  }
  recordBaseline(m: readonly MetricResult[], c: readonly CheckResult[], fingerprint: string, now: number) {
    return verification.recordBaseline(this.state, m, c, fingerprint, now);
  }
  recordNoise(metric: MetricSpec, pairs: Pairs, now: number): void {
    const warning = noiseWarning(metric, pairs);
    if (warning) this.warn(warning, now);
  }
  needsVerification(fingerprint: string, claimedDone: boolean): boolean {
    return verification.needsVerification(this.state, fingerprint, claimedDone);
  }
  recordExtras(holdout: readonly CheckResult[], checklist: readonly ChecklistResult[]): void {
    verification.recordExtras(this.state, holdout, checklist);
  }
  recordVerification(
    metrics: readonly MetricResult[],
    checks: readonly CheckResult[],
    fingerprint: string,
    claimedDone: boolean,
    now: number,
  ) {
    return verification.recordVerification(this.state, metrics, checks, fingerprint, claimedDone, now);
  }
  measurableMet(round: VerificationRound): boolean {
    return verification.measurableMet(this.state, round);
  }
  recordIntegrityViolation(violations: readonly IntegrityViolation[], restored: readonly string[], now: number) {
    verification.recordIntegrityViolation(this.state, violations, restored, now);
  }

  // ---- protected paths over the run (run/protection.ts) --------------------------------------------------
  /** A write the tools refused on a protected path; the third one of a path asks the user to look. */
  recordRefusal(refused: { readonly path: string; readonly reason: string }, now: number): void {
    protection.recordRefusal(this.state, refused, now);
  }
  protectionRetaken(files: number, now: number): void {
    protection.protectionRetaken(this.state, files, now);
  }

  // ---- turns (run/turn.ts) -------------------------------------------------------------------------------
  beginTurn(): number {
    return turns.beginTurn(this.state);
  }
  note(text: string): void {
    turns.note(this.state, text);
  }
  takeNotes(): string[] {
    return turns.takeNotes(this.state);
  }
  recordModelTurn(usage: TokenUsage, toolCalls: number, now: number, model?: string, label?: string): void {
    turns.recordModelTurn(this.state, usage, toolCalls, now, model, label);
  }
  recordCompaction(through: number, usage: TokenUsage, now: number): void {
    turns.recordCompaction(this.state, through, usage, now);
  }
  setFrontier(f: { done: string; remaining: string; next: string }): void {
    turns.setFrontier(this.state, f);
  }

  // ---- budget and spend (run/budget.ts) ------------------------------------------------------------------
  hoursUsed(now: number): number {
    return budget.hoursUsed(this.state, now);
  }
  budgetExhausted(now: number): string | null {
    return budget.budgetExhausted(this.state, now);
  }
  spendExhausted(): string | null {
    return budget.spendExhausted(this.state);
  }
  warnBudgets(now: number): void {
    budget.warnBudgets(this.state, now);
  }
  recordModelUsage(usage: TokenUsage, model?: string): void {
    budget.recordModelUsage(this.state, usage, model);
  }
  modelInfo() {
    return budget.modelInfo(this.state);
  }
  costBudgetProblem(): string | null {
    return budget.costBudgetProblem(this.state);
  }
  recordAsk(tokens: number): void {
    budget.recordAsk(this.state, tokens);
  }

  // ---- watchdog: stalls, blockers, waits, outages (run/watch.ts) -----------------------------------------
  stopWith(status: 'stalled' | 'blocked', reason: string): void {
    watch.stopWith(this.state, status, reason);
  }
  recordToolOutcome(call: { sig: string; summary: string; failed: boolean }, now: number): void {
    watch.recordToolOutcome(this.state, call, now);
  }
  workspaceChanged(): void {
    watch.workspaceChanged(this.state);
  }
  declareBlocker(reason: string): void {
    watch.declareBlocker(this.state, reason);
  }
  endTurn(now: number): void {
    watch.endTurn(this.state, now);
  }
  requestWait(minutes: number, reason: string, now: number): void {
    watch.requestWait(this.state, minutes, reason, now);
  }
  waitOver(now: number): boolean {
    return watch.waitOver(this.state, now);
  }
  waitCutShort(): boolean {
    return watch.waitCutShort(this.state);
  }
  endWait(now: number): void {
    watch.endWait(this.state, now);
  }
  modelOutage(error: string, now: number): void {
    watch.modelOutage(this.state, error, now);
  }
  /** An MCP server of the spec cannot be started on the goal's host: the goal waits, the user is told. */
  mcpUnavailable(text: string, now: number): void {
    mcp.mcpUnavailable(this.state, text, now);
  }
  mcpBack(now: number): void {
    mcp.mcpBack(this.state, now);
  }

  // ---- steering: edits, guidance, pause (run/edits.ts) ---------------------------------------------------
  validateEdit(edit: GoalEdit, now: number): string[] {
    return edits.validateEdit(this.state, edit, now);
  }
  queueEdit(edit: GoalEdit, now: number, by?: Actor): { goalVersion: number; changes: string[] } {
    return edits.queueEdit(this.state, edit, now, by);
  }
  applyPendingEdits(now: number): string[] {
    return edits.applyPendingEdits(this.state, now);
  }
  recordRebaseline(results: readonly MetricResult[], now: number): void {
    edits.recordRebaseline(this.state, results, now);
  }
  guide(text: string, now: number, by?: Actor): void {
    edits.guide(this.state, text, now, by);
  }
  pause(reason: string | null, now: number, by?: Actor): void {
    edits.pause(this.state, reason, now, by);
  }
  resume(now: number, by?: Actor): void {
    edits.resume(this.state, now, by);
  }
  asked(question: string, now: number, by?: Actor): void {
    edits.asked(this.state, question, now, by);
  }
  cancelRequested(now: number, by?: Actor): void {
    edits.cancelRequested(this.state, now, by);
  }
  /** "cancelled by the user", or who asked (`cancelRequested`). */
  cancelReason(): string {
    return edits.cancelReason(this.state);
  }

  // ---- the end: review, clean-up, report, final status (run/finish.ts) -----------------------------------
  assertRunning(consequence: string): void {
    end.assertRunning(this.state, consequence);
  }
  recordReflection(text: string, now: number): void {
    end.recordReflection(this.state, text, now);
  }
  noteCleanupTurn(ending: Ending, k: number, n: number): void {
    end.noteCleanupTurn(this.state, ending, k, n);
  }
  cleanupStart(achieved: boolean): end.CleanupStart {
    return end.cleanupStart(this.state, achieved);
  }
  cleanupBroke(before: end.CleanupStart, round: VerificationRound): string | null {
    return end.cleanupBroke(this.state, before, round);
  }
  cleanupChangedNothing(turns: number): void {
    end.cleanupChangedNothing(this.state, turns);
  }
  cleanupKept(turns: number, now: number): void {
    end.cleanupKept(this.state, turns, now);
  }
  cleanupReverted(turns: number, broken: string, checkpoint: string, now: number): void {
    end.cleanupReverted(this.state, turns, broken, checkpoint, now);
  }
  recordReport(paths: { markdown: string; html: string }): void {
    end.recordReport(this.state, paths);
  }
  finish(status: FinalStatus, reason: string, now: number): void {
    end.finish(this.state, status, reason, now);
  }

  // ---- what others see (run/view.ts) ---------------------------------------------------------------------
  view(now: number): GoalStatusView {
    return view.view(this.state, now);
  }
  outcome(): GoalOutcome {
    return view.outcome(this.state);
  }
}
