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
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { GoalActivities } from '../activities';
import { renderBrief } from '../goal/brief';
import { parseGoalEdit, type GoalEdit } from '../goal/edit';
import {
  askUpdate,
  editUpdate,
  guideSignal,
  MAX_QUESTION_CHARS,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  type AskResult,
  type EditResult,
  type PauseResult,
} from '../goal/messages';
import { GoalRun, type GoalState } from '../goal/run';
import { LonghaulPhase, LonghaulProgress, LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';
import { repeatsFor, type GoalSpec, type MetricSpec } from '../goal/spec';
import type { CheckResult, GoalOutcome, MetricResult } from '../goal/status';

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

const PERMANENT_TYPES = ['ModelAuthError', 'ModelBadRequestError', 'WorkspaceMissing', 'WorkspaceNotGit'];

export async function goalWorkflow(input: GoalWorkflowInput): Promise<GoalOutcome> {
  const run = input.state
    ? GoalRun.restore(input.state)
    : GoalRun.create(workflowInfo().workflowId, input.spec, Date.now());
  const heartbeatTimeout = (input.tuning?.heartbeatTimeoutSeconds ?? 30) * 1000;
  const acts = activities(heartbeatTimeout);
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

function registerHandlers(run: GoalRun, acts: Acts): void {
  setHandler(statusQuery, () => run.view(Date.now()));
  setHandler(
    editUpdate,
    (raw: GoalEdit): EditResult => {
      const result = run.queueEdit(parseGoalEdit(raw), Date.now());
      publish(run);
      return { ...result, appliesAt: 'next turn boundary' };
    },
    { validator: (raw: GoalEdit) => void run.validateEdit(parseGoalEdit(raw), Date.now()) },
  );
  setHandler(guideSignal, (arg) => {
    const text = typeof arg === 'string' ? arg : typeof arg?.text === 'string' ? arg.text : '';
    if (!run.finished) run.guide(text, Date.now());
  });
  setHandler(
    pauseUpdate,
    (arg: { reason?: string } | undefined): PauseResult => {
      run.pause(arg?.reason ?? null, Date.now());
      publish(run);
      return { paused: true, turn: run.state.turn };
    },
    { validator: (_arg: { reason?: string } | undefined) => assertRunning(run, 'pause') },
  );
  setHandler(
    resumeUpdate,
    (): PauseResult => {
      run.resume(Date.now());
      publish(run);
      return { paused: false, turn: run.state.turn };
    },
    { validator: () => assertRunning(run, 'resume') },
  );
  setHandler(
    askUpdate,
    async (arg): Promise<AskResult> => {
      const question = questionOf(arg);
      const turn = run.state.turn;
      const result = await acts.ask.answerQuestion.executeWithOptions(
        { summary: `ask: ${question.length > 60 ? `${question.slice(0, 57)}...` : question}` },
        [{ goalId: run.state.goalId, question, snapshot: snapshotFor(run), turn, model: run.spec.model }],
      );
      run.recordAsk(result.usage.totalTokens);
      return { answer: result.answer, turn };
    },
    {
      validator: (arg: string | { question: string }) => {
        assertRunning(run, 'ask');
        const q = questionOf(arg);
        if (q === '') throw new Error('the question is empty: ask something, e.g. "what are you trying now?"');
        if (q.length > MAX_QUESTION_CHARS)
          throw new Error(`the question is ${q.length} characters; keep it under ${MAX_QUESTION_CHARS}`);
      },
    },
  );
}

function questionOf(arg: string | { question: string } | undefined): string {
  return (typeof arg === 'string' ? arg : typeof arg?.question === 'string' ? arg.question : '').trim();
}

function assertRunning(run: GoalRun, what: string): void {
  if (run.finished || run.state.phase === 'finalizing') {
    throw new Error(`the goal has already ended (${run.state.status}): ${what} only applies to running goals`);
  }
}

/** What the side chat knows: the brief plus status details. */
function snapshotFor(run: GoalRun): string {
  const v = run.view(Date.now());
  return [
    renderBrief(run, Date.now()),
    `Phase: ${v.phase}${v.paused ? ' (paused)' : ''}; status: ${v.status}; turn ${v.turn}; tokens used ${v.budget.tokens.used}`,
    `Last event: ${v.lastEvent?.text ?? 'none'}`,
    v.history.length > 0
      ? `Edits: ${v.history.map((h) => `v${h.version} at turn ${h.turn}: ${h.changes.join('; ')}`).join(' | ')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

type Acts = ReturnType<typeof activities>;

function activities(heartbeatTimeout: number) {
  const model = proxyActivities<GoalActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: PERMANENT_TYPES,
    },
  });
  const work = proxyActivities<GoalActivities>({
    startToCloseTimeout: '65 minutes',
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      maximumInterval: '1 minute',
      maximumAttempts: 5,
      nonRetryableErrorTypes: PERMANENT_TYPES,
    },
  });
  const quick = proxyActivities<GoalActivities>({
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: PERMANENT_TYPES,
    },
  });
  const ask = proxyActivities<GoalActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 }, // someone is waiting for the answer
  });
  return { model, work, quick, ask };
}

/** Measures everything at the start; returns true when the criteria already hold. */
async function baseline(run: GoalRun, acts: Acts): Promise<boolean> {
  setCurrentDetails(
    `**Baseline**: measuring ${run.spec.metrics.length} metric(s) and ${run.spec.checks.length} check(s)`,
  );
  publish(run);
  const ws = await acts.quick.prepareWorkspace.executeWithOptions({ summary: 'prepare workspace' }, [
    { goalId: run.state.goalId, workspace: run.spec.workspace },
  ]);
  if (ws.startCommit) run.setStartCommit(ws.startCommit);
  const { metrics, checks } = await measureAll(run, acts, 'baseline');
  return run.recordBaseline(metrics, checks, ws.fingerprint, Date.now()).achieved;
}

/** One model turn and its tool calls; returns whether the agent claimed to be done. */
async function turn(run: GoalRun, acts: Acts): Promise<boolean> {
  const n = run.beginTurn();
  const { goalId } = run.state;
  const workspace = run.spec.workspace;
  publish(run);
  const notes = run.takeNotes();
  const result = await acts.model.modelTurn.executeWithOptions({ summary: `turn ${n} · model` }, [
    {
      goalId,
      workspace,
      turn: n,
      brief: renderBrief(run, Date.now()),
      ...(run.spec.plan !== undefined ? { plan: run.spec.plan } : {}),
      notes,
      model: run.spec.model,
    },
  ]);
  run.recordModelTurn(result.usage, result.calls.length, Date.now());
  let claimedDone = false;
  for (const call of result.calls) {
    setCurrentDetails(`**Turn ${n}**: ${call.summary}`);
    try {
      const r = await acts.work.executeTool.executeWithOptions({ summary: `turn ${n} · ${call.summary}` }, [
        { goalId, workspace, turn: n, callId: call.callId },
      ]);
      if (r.doneClaim) claimedDone = true;
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      run.note(`The tool call ${call.summary} could not be executed: ${failureMessage(err)}`);
    }
  }
  return claimedDone;
}

/** Verifies when the workspace changed since the last verification or the agent claims done. */
async function verifyIfChanged(run: GoalRun, acts: Acts, claimedDone: boolean): Promise<boolean> {
  const { fingerprint } = await acts.quick.fingerprintWorkspace.executeWithOptions(
    { summary: 'fingerprint workspace' },
    [{ workspace: run.spec.workspace }],
  );
  if (!run.needsVerification(fingerprint, claimedDone)) return false;
  run.setPhase('verifying');
  setCurrentDetails(`**Verifying** after turn ${run.state.turn}${claimedDone ? ' (the agent claims done)' : ''}`);
  publish(run);
  const { metrics, checks } = await measureAll(run, acts, `turn ${run.state.turn}`);
  const outcome = run.recordVerification(metrics, checks, fingerprint, claimedDone, Date.now());
  run.setPhase('working');
  return outcome.achieved;
}

async function measureMetric(run: GoalRun, acts: Acts, metric: MetricSpec, label: string): Promise<MetricResult> {
  const timeoutMs = (metric.timeoutSeconds * repeatsFor(metric) + 120) * 1000;
  return acts.work.measureMetric.executeWithOptions(
    { summary: `measure ${metric.name} ×${repeatsFor(metric)}`, startToCloseTimeout: timeoutMs },
    [{ goalId: run.state.goalId, workspace: run.spec.workspace, metric, label }],
  );
}

async function measureAll(
  run: GoalRun,
  acts: Acts,
  label: string,
): Promise<{ metrics: MetricResult[]; checks: CheckResult[] }> {
  const metrics: MetricResult[] = [];
  for (const metric of run.spec.metrics) metrics.push(await measureMetric(run, acts, metric, label));
  const checks: CheckResult[] = [];
  for (const check of run.spec.checks) {
    checks.push(
      await acts.work.runCheck.executeWithOptions(
        { summary: `check: ${check.name}`, startToCloseTimeout: (check.timeoutSeconds + 120) * 1000 },
        [{ goalId: run.state.goalId, workspace: run.spec.workspace, check, label }],
      ),
    );
  }
  return { metrics, checks };
}

function finish(run: GoalRun, status: Parameters<GoalRun['finish']>[0], reason: string): GoalOutcome {
  run.setPhase('finalizing');
  publish(run);
  run.finish(status, reason, Date.now());
  setCurrentDetails(`**${status}**: ${reason}\n\n${run.describeCriteria()}`);
  publish(run);
  return run.outcome();
}

/** Mirrors the goal's state into search attributes for the Temporal UI and `longhaul list`. */
function publish(run: GoalRun): void {
  upsertSearchAttributes([
    { key: LonghaulStatus, value: run.state.status },
    { key: LonghaulPhase, value: run.state.phase },
    { key: LonghaulProgress, value: run.progress() },
    { key: LonghaulTurns, value: run.state.turn },
  ]);
  if (run.state.phase !== 'baseline' && run.state.phase !== 'done') {
    setCurrentDetails(
      `**${run.state.phase}** · turn ${run.state.turn}/${run.spec.budget.maxTurns}\n\n${run.describeCriteria()}\n\n${run.state.lastEvent?.text ?? ''}`,
    );
  }
}

function permanentFailure(err: unknown): { status: 'blocked' | 'failed'; reason: string } | null {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return null;
  const cause = err.cause;
  if (!cause.type || !PERMANENT_TYPES.includes(cause.type)) return null;
  return { status: cause.type.startsWith('Workspace') ? 'failed' : 'blocked', reason: cause.message };
}

function failureMessage(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}
