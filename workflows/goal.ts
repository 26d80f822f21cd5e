/**
 * The goal workflow: baseline → loop(model turn → tool calls → verify when files changed or the agent
 * claims done) → final status. It only orchestrates: the rules live in goal/run.ts and goal/run/, every side effect
 * is an activity, and large data stays in the goal store (activities exchange ids and digests).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { FAILURE, PERMANENT_FAILURES } from '../goal/failures';
import { GoalRun, type GoalState } from '../goal/run';
import { protectionChanged } from '../goal/protection';
import { activityTuningOf, resolveGoalTuning, type GoalTuning, type ResolvedGoalTuning } from '../goal/tuning';
import type { GoalSpec } from '../goal/spec';
import type { GoalOutcome, MetricResult } from '../goal/status';
import { placementOf } from './placement';
import { goalActivities, type Acts } from './proxies';
import { registerHandlers } from './handlers';
import { announceReport, finalizeWork, writeReport, type Ending } from './finalize';
import { finalMilestone } from './milestones';
import { PATCHES } from './patches';
import { publish } from './visibility';
import { startReporter, type Reporter } from './reporter';
import { turn, type OutagePolicy } from './turn';
import { baseline, measureMetric, retakeProtection, verifyIfChanged } from './verify';

export type { GoalTuning } from '../goal/tuning';

export interface GoalWorkflowInput {
  readonly spec: GoalSpec;
  readonly tuning?: GoalTuning;
  /**
   * The host whose worker holds the workspace (LONGHAUL_HOST of the machine that started the goal): the goal's
   * activities run on its task queue. Absent: on any worker of the shared queue.
   */
  readonly host?: string;
  /** Set only by continue-as-new: the state carried from the previous run. */
  readonly state?: GoalState;
}

export async function goalWorkflow(input: GoalWorkflowInput): Promise<GoalOutcome> {
  const run = input.state
    ? GoalRun.restore(input.state)
    : GoalRun.create(workflowInfo().workflowId, input.spec, Date.now(), input.host ?? null);
  // Asked only when the input leaves the bound unset: goals started before it keep the 10,000 they replay with.
  const tuning = resolveGoalTuning(
    input.tuning,
    input.tuning?.maxHistoryEvents !== undefined || patched(PATCHES.historyBound2000.id),
  );
  const activityTuning = activityTuningOf(tuning);
  const placement = placementOf(run, {
    waitMs: tuning.hostWaitSeconds * 1000,
    heartbeatTimeoutMs: activityTuning.heartbeatTimeoutMs,
  });
  // Once the baseline recorded it, every activity carries the goal's store id (a worker with another store refuses).
  const acts = goalActivities(activityTuning, placement, (): Record<string, string> =>
    run.state.storeId ? { storeId: run.state.storeId } : {},
  );
  registerHandlers(run, acts);
  const reporter = startReporter(run, activityTuning.heartbeatTimeoutMs, placement);

  const outage: OutagePolicy = {
    retryMs: tuning.outageRetryMinutes * 60_000,
    maxMs: tuning.maxOutageHours * 3_600_000,
  };
  try {
    const ending = await finalizeWork(run, acts, await pursue(run, acts, input, tuning, reporter, outage), outage);
    const outcome = finish(run, ending.status, ending.reason);
    await conclude(run, acts, reporter);
    await condition(allHandlersFinished); // let in-flight `ask`s answer before the goal closes
    return outcome;
  } catch (err) {
    if (isCancellation(err)) {
      finish(run, 'cancelled', run.cancelReason());
      await CancellationScope.nonCancellable(() => conclude(run, acts, reporter));
      throw err;
    }
    const permanent = permanentFailure(err);
    if (!permanent) throw err;
    const outcome = finish(run, permanent.status, permanent.reason);
    await conclude(run, acts, reporter);
    return outcome;
  }
}

/**
 * After the goal ends: the final report, the final milestone commit (with REPORT.md) and its push, then the final
 * progress document and Slack report.
 */
async function conclude(run: GoalRun, acts: Acts, reporter: Reporter): Promise<void> {
  const report = await writeReport(run, acts);
  const commit = await finalMilestone(run, acts);
  if (report) announceReport(run, report, commit);
  await reporter.finalFlush();
}

/** The goal loop: baseline, then turns and verification until achieved, out of budget, or a permanent error. */
async function pursue(
  run: GoalRun,
  acts: Acts,
  input: GoalWorkflowInput,
  tuning: ResolvedGoalTuning,
  reporter: Reporter,
  outage: OutagePolicy,
): Promise<Ending> {
  if (run.state.phase === 'baseline') {
    const alreadyMet = await baseline(run, acts);
    const problems = run.baselineProblems();
    if (problems.length > 0) return { status: 'failed', reason: problems.join('; ') };
    if (alreadyMet) return { status: 'achieved', reason: 'the criteria already hold at baseline; nothing to do' };
  }
  for (;;) {
    await turnBoundary(run, acts);
    if (run.state.stop) return { ...run.state.stop };
    run.warnBudgets(Date.now());
    const exhausted = run.budgetExhausted(Date.now());
    if (exhausted) {
      const achieved = await verifyIfChanged(run, acts, { claimedDone: false, mayHaveChanged: true });
      return achieved
        ? { status: 'achieved', reason: 'verified on the last turn of the budget' }
        : { status: 'budget_exhausted', reason: exhausted };
    }
    const done = await turn(run, acts, outage);
    const costProblem = run.costBudgetProblem();
    if (costProblem) run.stopWith('blocked', costProblem);
    if (run.hasPendingEdits) await applyEdits(run, acts); // verify against the criteria as they now stand
    if (await verifyIfChanged(run, acts, done)) {
      return { status: 'achieved', reason: `verified by the orchestrator after turn ${run.state.turn}` };
    }
    publish(run);
    if (historyFull(tuning)) {
      await condition(allHandlersFinished);
      await reporter.stop(); // the next run starts its own; undelivered events travel in the state
      const info = workflowInfo();
      // Memo and search attributes carried explicitly: the next run starts with what the UI shows now.
      const next = makeContinueAsNewFunc<typeof goalWorkflow>({
        ...(info.memo ? { memo: info.memo } : {}),
        typedSearchAttributes: info.typedSearchAttributes,
      });
      await next({ ...input, state: run.state });
    }
  }
}

/** Temporal suggests continue-as-new, or the run's history reached our own bound (events or bytes). */
function historyFull(tuning: ResolvedGoalTuning): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested ||
    info.historyLength >= tuning.maxHistoryEvents ||
    info.historySize >= tuning.maxHistoryBytes
  );
}

/**
 * Between turns: finish a wait the agent asked for (early on pause, edit or guidance), apply accepted edits, and
 * hold while paused (applying edits that arrive meanwhile).
 */
async function turnBoundary(run: GoalRun, acts: Acts): Promise<void> {
  const waiting = run.state.waiting;
  if (waiting) {
    publish(run);
    const left = waiting.until - Date.now();
    if (patched(PATCHES.waitEndsByItsTimer.id)) {
      if (left > 0) await condition(() => run.waitCutShort(), left);
    } else {
      await condition(() => run.waitOver(Date.now()), Math.max(0, left));
    }
    run.endWait(Date.now());
  }
  if (run.hasPendingEdits) await applyEdits(run, acts);
  while (run.paused) {
    publish(run);
    await condition(() => !run.paused || run.hasPendingEdits);
    if (run.hasPendingEdits) await applyEdits(run, acts);
  }
}

async function applyEdits(run: GoalRun, acts: Acts): Promise<void> {
  const before = run.spec;
  const rebaseline = run.applyPendingEdits(Date.now());
  if (protectionChanged(before, run.spec)) await retakeProtection(run, acts);
  publish(run);
  const metrics = run.spec.metrics.filter((m) => rebaseline.includes(m.name));
  const results: MetricResult[] = [];
  for (const metric of metrics) {
    results.push(await measureMetric(run, acts, metric, 'baseline (after edit)'));
  }
  run.recordRebaseline(results, Date.now());
}

function finish(run: GoalRun, status: Parameters<GoalRun['finish']>[0], reason: string): GoalOutcome {
  run.finish(status, reason, Date.now());
  publish(run);
  return run.outcome();
}

function permanentFailure(err: unknown): { status: 'blocked' | 'failed'; reason: string } | null {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return null;
  const cause = err.cause;
  if (!cause.type || !PERMANENT_FAILURES.includes(cause.type)) return null;
  const workspace = cause.type === FAILURE.workspaceMissing || cause.type === FAILURE.workspaceNotGit;
  return { status: workspace ? 'failed' : 'blocked', reason: cause.message };
}
