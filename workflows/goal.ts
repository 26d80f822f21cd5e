/**
 * The goal workflow: baseline → loop(model turn → tool calls → verify when files changed or the agent
 * claims done) → final status. It only orchestrates: the rules live in goal/run.ts, every side effect
 * is an activity, and large data stays in the goal store (activities exchange ids and digests).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import { FAILURE, PERMANENT_FAILURES } from '../goal/failures';
import { GoalRun, type GoalState } from '../goal/run';
import type { GoalSpec } from '../goal/spec';
import type { GoalOutcome, MetricResult } from '../goal/status';
import { goalActivities, type Acts } from './proxies';
import { registerHandlers } from './handlers';
import { publish } from './publish';
import { turn } from './turn';
import { baseline, measureMetric, verifyIfChanged } from './verify';

/** Knobs for how the workflow drives activities; defaults suit real goals, tests shorten them. */
export interface GoalTuning {
  /** How long a tool or measurement may go without a heartbeat before Temporal retries it elsewhere. @default 30 */
  readonly heartbeatTimeoutSeconds?: number;
}

export interface GoalWorkflowInput {
  readonly spec: GoalSpec;
  readonly tuning?: GoalTuning;
  /** Set only by continue-as-new: the state carried from the previous run. */
  readonly state?: GoalState;
}

export async function goalWorkflow(input: GoalWorkflowInput): Promise<GoalOutcome> {
  const run = input.state
    ? GoalRun.restore(input.state)
    : GoalRun.create(workflowInfo().workflowId, input.spec, Date.now());
  const heartbeatTimeout = (input.tuning?.heartbeatTimeoutSeconds ?? 30) * 1000;
  const acts = goalActivities(heartbeatTimeout);
  registerHandlers(run, acts);

  try {
    const outcome = await pursue(run, acts, input);
    await condition(allHandlersFinished); // let in-flight `ask`s answer before the goal closes
    return outcome;
  } catch (err) {
    if (isCancellation(err)) {
      finish(run, 'cancelled', 'cancelled by the user');
      throw err;
    }
    const permanent = permanentFailure(err);
    if (permanent) return finish(run, permanent.status, permanent.reason);
    throw err;
  }
}

/** The goal loop: baseline, then turns and verification until achieved, out of budget, or a permanent error. */
async function pursue(run: GoalRun, acts: Acts, input: GoalWorkflowInput): Promise<GoalOutcome> {
  if (run.state.phase === 'baseline') {
    const alreadyMet = await baseline(run, acts);
    const problems = run.baselineProblems();
    if (problems.length > 0) return finish(run, 'failed', problems.join('; '));
    if (alreadyMet) return finish(run, 'achieved', 'the criteria already hold at baseline; nothing to do');
  }
  for (;;) {
    await turnBoundary(run, acts);
    const exhausted = run.budgetExhausted(Date.now());
    if (exhausted) {
      const achieved = await verifyIfChanged(run, acts, false);
      return achieved
        ? finish(run, 'achieved', 'verified on the last turn of the budget')
        : finish(run, 'budget_exhausted', exhausted);
    }
    const claimedDone = await turn(run, acts);
    if (run.hasPendingEdits) await applyEdits(run, acts); // verify against the criteria as they now stand
    if (await verifyIfChanged(run, acts, claimedDone)) {
      return finish(run, 'achieved', `verified by the orchestrator after turn ${run.state.turn}`);
    }
    publish(run);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof goalWorkflow>({ ...input, state: run.state });
    }
  }
}

/** Between turns: apply accepted edits, and hold while paused (applying edits that arrive meanwhile). */
async function turnBoundary(run: GoalRun, acts: Acts): Promise<void> {
  if (run.hasPendingEdits) await applyEdits(run, acts);
  while (run.paused) {
    setCurrentDetails(`**Paused** after turn ${run.state.turn}: resume with \`longhaul resume ${run.state.goalId}\``);
    publish(run);
    await condition(() => !run.paused || run.hasPendingEdits);
    if (run.hasPendingEdits) await applyEdits(run, acts);
  }
}

async function applyEdits(run: GoalRun, acts: Acts): Promise<void> {
  const rebaseline = run.applyPendingEdits(Date.now());
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
  setCurrentDetails(`**${status}**: ${reason}\n\n${run.describeCriteria()}`);
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
