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
import { renderBrief, renderSnapshot } from '../goal/brief';
import { parseGoalEdit, type GoalEdit } from '../goal/edit';
import { FAILURE, PERMANENT_FAILURES } from '../goal/failures';
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
import {
  checklistItems,
  isDeterministic,
  repeatsFor,
  type CheckSpec,
  type GoalSpec,
  type MetricSpec,
} from '../goal/spec';
import { decidePaired, DEFAULT_INITIAL_PAIRS, detectable, noiseEstimate } from '../goal/stats';
import { median } from '../goal/decision';
import type { ChecklistResult, CheckResult, GoalOutcome, MetricResult, VerificationRound } from '../goal/status';

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
    { validator: (_arg: { reason?: string } | undefined) => run.assertRunning('pause only applies to running goals') },
  );
  setHandler(
    resumeUpdate,
    (): PauseResult => {
      run.resume(Date.now());
      publish(run);
      return { paused: false, turn: run.state.turn };
    },
    { validator: () => run.assertRunning('resume only applies to running goals') },
  );
  setHandler(
    askUpdate,
    async (arg): Promise<AskResult> => {
      const question = questionOf(arg);
      const turn = run.state.turn;
      const result = await acts.ask.answerQuestion.executeWithOptions(
        { summary: `ask: ${question.length > 60 ? `${question.slice(0, 57)}...` : question}` },
        [
          {
            goalId: run.state.goalId,
            question,
            snapshot: renderSnapshot(run, Date.now()),
            turn,
            model: run.spec.model,
          },
        ],
      );
      run.recordAsk(result.usage.totalTokens);
      return { answer: result.answer, turn };
    },
    {
      validator: (arg: string | { question: string }) => {
        run.assertRunning('ask only applies to running goals');
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

type Acts = ReturnType<typeof activities>;

function activities(heartbeatTimeout: number) {
  const model = proxyActivities<GoalActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: [...PERMANENT_FAILURES],
    },
  });
  const work = proxyActivities<GoalActivities>({
    startToCloseTimeout: '65 minutes',
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      maximumInterval: '1 minute',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [...PERMANENT_FAILURES],
    },
  });
  const quick = proxyActivities<GoalActivities>({
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...PERMANENT_FAILURES],
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
  const { goalId } = run.state;
  const { spec } = run;
  setCurrentDetails(`**Baseline**: measuring ${spec.metrics.length} metric(s) and ${spec.checks.length} check(s)`);
  publish(run);
  const ws = await acts.quick.prepareWorkspace.executeWithOptions({ summary: 'prepare workspace' }, [
    { goalId, workspace: spec.workspace },
  ]);
  if (ws.startCommit) run.setStartCommit(ws.startCommit);
  const guard = await acts.quick.protectWorkspace.executeWithOptions({ summary: 'record protected paths' }, [
    {
      goalId,
      workspace: spec.workspace,
      protect: spec.protect,
      commands: [...spec.metrics.map((m) => m.command), ...spec.checks.map((c) => c.command)],
    },
  ]);
  run.setProtectedFiles(guard.files);
  if (ws.startCommit && spec.metrics.some(isPaired)) {
    const { dir } = await acts.quick.ensureBaselineWorktree.executeWithOptions({ summary: 'baseline worktree' }, [
      { goalId, workspace: spec.workspace, startCommit: ws.startCommit },
    ]);
    run.setBaselineDir(dir);
  }
  const round = await measureRound(run, acts, 'baseline', false);
  await estimateNoise(run, acts);
  for (const c of round.checks.filter((x) => !x.passed)) {
    run.warn(`check "${c.name}" fails at baseline, before any change: the goal must make it pass`, Date.now());
  }
  run.recordExtras(round.holdout, round.checklist);
  return run.recordBaseline(round.metrics, round.checks, ws.fingerprint, Date.now()).achieved;
}

/** Relative targets on noisy metrics are decided by paired runs against the baseline worktree. */
function isPaired(metric: MetricSpec): boolean {
  return 'relative' in metric.target && !isDeterministic(metric);
}

/** A/A runs of each paired metric at baseline: warns when the target is inside the noise. */
async function estimateNoise(run: GoalRun, acts: Acts): Promise<void> {
  const dir = run.state.baselineDir;
  if (!dir) return;
  for (const metric of run.spec.metrics.filter(isPaired)) {
    const aa = await acts.work.measurePairs.executeWithOptions(
      { summary: `noise ${metric.name} ×5 A/A`, startToCloseTimeout: (metric.timeoutSeconds * 10 + 120) * 1000 },
      [
        {
          goalId: run.state.goalId,
          workspace: run.spec.workspace,
          baselineDir: dir,
          metric,
          pairs: 5,
          label: 'noise (A/A)',
        },
      ],
    );
    const finite = aa.pairs.filter((p) => Number.isFinite(p.baseline) && Number.isFinite(p.candidate));
    if (finite.length === 0 || !('relative' in metric.target)) continue;
    const noise = noiseEstimate(
      finite.map((p) => p.baseline),
      finite.map((p) => p.candidate),
    ).relativeSpread;
    if (!detectable(metric.target.relative, noise)) {
      run.warn(
        `metric ${metric.name}: the target (${(metric.target.relative * 100).toFixed(0)}%) is within the measurement noise (±${(noise * 100).toFixed(1)}% between identical runs); verdicts may stay INCONCLUSIVE: steady the measurement or aim further`,
        Date.now(),
      );
    }
  }
}

/** Measures every criterion once: metrics (paired when relative, after the baseline), checks, holdout, checklist. */
async function measureRound(run: GoalRun, acts: Acts, label: string, paired: boolean): Promise<VerificationRound> {
  const { goalId } = run.state;
  const workspace = run.spec.workspace;
  const metrics: MetricResult[] = [];
  for (const metric of run.spec.metrics) {
    metrics.push(
      paired && isPaired(metric) && run.state.baselineDir
        ? await measureRelative(run, acts, metric, run.state.baselineDir, label)
        : await measureMetric(run, acts, metric, label),
    );
  }
  const runOne = (check: CheckSpec, summary: string) =>
    acts.work.runCheck.executeWithOptions({ summary, startToCloseTimeout: (check.timeoutSeconds + 120) * 1000 }, [
      { goalId, workspace, check, label },
    ]);
  const checks: CheckResult[] = [];
  for (const check of run.spec.checks) checks.push(await runOne(check, `check: ${check.name}`));
  const holdout: CheckResult[] = [];
  for (const check of run.spec.holdout) holdout.push(await runOne(check, `held-out check: ${check.name}`));
  const checklist: ChecklistResult[] = [];
  for (const item of checklistItems(run.spec)) {
    if (!item.command) continue;
    const r = await runOne(
      { name: item.item, command: item.command, timeoutSeconds: 900 },
      `checklist: ${item.item.slice(0, 60)}`,
    );
    checklist.push({
      item: item.item,
      verified: r.passed,
      by: 'command',
      reason: r.passed ? `\`${item.command}\` exits 0` : `\`${item.command}\` exited ${r.exitCode ?? 'by a signal'}`,
    });
  }
  return { metrics, checks, holdout, checklist };
}

/** Paired runs until the sign test decides (or the cap is reached). */
async function measureRelative(
  run: GoalRun,
  acts: Acts,
  metric: MetricSpec,
  baselineDir: string,
  label: string,
): Promise<MetricResult> {
  if (!('relative' in metric.target)) throw new Error('measureRelative needs a relative target');
  const pairs: { baseline: number; candidate: number }[] = [];
  let batch = metric.repeat ?? DEFAULT_INITIAL_PAIRS;
  let durationMs = 0;
  for (;;) {
    const r = await acts.work.measurePairs.executeWithOptions(
      {
        summary: `pairs ${metric.name} ×${batch}`,
        startToCloseTimeout: (metric.timeoutSeconds * 2 * batch + 120) * 1000,
      },
      [{ goalId: run.state.goalId, workspace: run.spec.workspace, baselineDir, metric, pairs: batch, label }],
    );
    durationMs += r.durationMs;
    pairs.push(...r.pairs);
    if (r.error) return { name: metric.name, value: null, samples: pairs.length, error: r.error, durationMs };
    const d = decidePaired({ direction: metric.direction, relative: metric.target.relative, pairs });
    if (d.verdict !== 'INCONCLUSIVE' || d.morePairs === 0) {
      return {
        name: metric.name,
        value: median(pairs.map((p) => p.candidate)),
        samples: pairs.length,
        durationMs,
        verdict: d.verdict === 'INCONCLUSIVE' ? 'NOT_MET' : d.verdict,
        pairs: { passes: d.passes, n: d.pairs },
      };
    }
    batch = d.morePairs;
  }
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
  try {
    const integrity = await acts.quick.verifyIntegrity.executeWithOptions({ summary: 'check protected paths' }, [
      { goalId: run.state.goalId, workspace: run.spec.workspace, startCommit: run.state.startCommit },
    ]);
    if (integrity.violations.length > 0) {
      run.recordIntegrityViolation(integrity.violations, integrity.restored, Date.now());
      return false; // the measurement of a tampered evaluator means nothing: discard it
    }
    const round = await measureRound(run, acts, `turn ${run.state.turn}`, true);
    await judgeIfDue(run, acts, round);
    run.recordExtras(round.holdout, round.checklist);
    return run.recordVerification(round.metrics, round.checks, fingerprint, claimedDone, Date.now()).achieved;
  } finally {
    run.setPhase('working');
  }
}

/**
 * Checklist items without a command go to the judge, once everything measurable passes (a goal that fails
 * its metrics is not done, whatever the judge would say).
 */
async function judgeIfDue(run: GoalRun, acts: Acts, round: VerificationRound): Promise<void> {
  const items = checklistItems(run.spec).filter((i) => !i.command);
  if (items.length === 0) return;
  if (!run.measurableMet(round)) return;
  const evidence = [
    ...round.metrics.map((m) => `metric ${m.name}: ${m.value ?? 'n/a'}${m.verdict ? ` (${m.verdict})` : ''}`),
    ...round.checks.map((c) => `check "${c.name}": ${c.passed ? 'passes' : 'fails'}`),
    ...round.checklist.map((c) => `checklist "${c.item}": ${c.reason}`),
  ];
  const judged = await acts.model.judgeChecklist.executeWithOptions(
    { summary: `judge ${items.length} checklist item(s)` },
    [
      {
        goalId: run.state.goalId,
        workspace: run.spec.workspace,
        startCommit: run.state.startCommit,
        objective: run.spec.objective,
        items: items.map((i) => i.item),
        evidence,
        model: run.spec.model,
      },
    ],
  );
  run.recordModelUsage(judged.usage);
  for (const v of judged.verdicts)
    round.checklist.push({ item: v.item, verified: v.verified, by: 'judge', reason: v.reason });
}

async function measureMetric(run: GoalRun, acts: Acts, metric: MetricSpec, label: string): Promise<MetricResult> {
  const timeoutMs = (metric.timeoutSeconds * repeatsFor(metric) + 120) * 1000;
  return acts.work.measureMetric.executeWithOptions(
    { summary: `measure ${metric.name} ×${repeatsFor(metric)}`, startToCloseTimeout: timeoutMs },
    [{ goalId: run.state.goalId, workspace: run.spec.workspace, metric, label }],
  );
}

function finish(run: GoalRun, status: Parameters<GoalRun['finish']>[0], reason: string): GoalOutcome {
  run.finish(status, reason, Date.now());
  setCurrentDetails(`**${status}**: ${reason}\n\n${run.describeCriteria()}`);
  publish(run);
  return run.outcome();
}

/** The search attributes last upserted for each run: an unchanged set is not upserted again (each is a history event). */
const published = new WeakMap<GoalRun, string>();

/** Mirrors the goal's state into search attributes for the Temporal UI and `longhaul list`, and into current details. */
function publish(run: GoalRun): void {
  const attributes = [
    { key: LonghaulStatus, value: run.state.status },
    { key: LonghaulPhase, value: run.state.phase },
    { key: LonghaulProgress, value: run.progress() },
    { key: LonghaulTurns, value: run.state.turn },
  ];
  const key = JSON.stringify(attributes.map((a) => a.value));
  if (published.get(run) !== key) {
    upsertSearchAttributes(attributes);
    published.set(run, key);
  }
  if (run.state.phase !== 'baseline' && run.state.phase !== 'done') {
    setCurrentDetails(
      `**${run.state.phase}** · turn ${run.state.turn}/${run.spec.budget.maxTurns}\n\n${run.describeCriteria()}\n\n${run.state.lastEvent?.text ?? ''}`,
    );
  }
}

function permanentFailure(err: unknown): { status: 'blocked' | 'failed'; reason: string } | null {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return null;
  const cause = err.cause;
  if (!cause.type || !PERMANENT_FAILURES.includes(cause.type)) return null;
  const workspace = cause.type === FAILURE.workspaceMissing || cause.type === FAILURE.workspaceNotGit;
  return { status: workspace ? 'failed' : 'blocked', reason: cause.message };
}

function failureMessage(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}
