/**
 * Verification by the orchestrator: the baseline, measurement rounds (paired runs for relative targets on
 * noisy metrics), the integrity check before each round, and the judge for checklist items without a command.
 */
import { setCurrentDetails } from '@temporalio/workflow';
import { judgeEvidence, type GoalRun } from '../goal/run';
import { commandVerdict, failsAtBaselineWarning, isPaired, pairedOutcome } from '../goal/rounds';
import { allowEnvOf, checklistItems, repeatsFor, type CheckSpec, type MetricSpec } from '../goal/spec';
import { protectionInput } from '../goal/protection';
import { DEFAULT_INITIAL_PAIRS } from '../goal/stats';
import type { ChecklistResult, CheckResult, MetricResult, VerificationRound } from '../goal/status';
import type { Acts } from './proxies';
import { milestone } from './milestones';
import { publish } from './visibility';

/** Measures everything at the start; returns true when the criteria already hold. */
export async function baseline(run: GoalRun, acts: Acts): Promise<boolean> {
  const { goalId } = run.state;
  const { spec } = run;
  setCurrentDetails(`**Baseline**: measuring ${spec.metrics.length} metric(s) and ${spec.checks.length} check(s)`);
  publish(run);
  const ws = await acts.quick.prepareWorkspace.executeWithOptions({ summary: 'prepare workspace' }, [
    { goalId, workspace: run.spec.workspace },
  ]);
  if (ws.startCommit) run.setStartCommit(ws.startCommit);
  if (ws.storeId) run.recordStore(ws.storeId);
  const guard = await acts.quick.protectWorkspace.executeWithOptions({ summary: 'record protected paths' }, [
    {
      goalId,
      workspace: run.spec.workspace,
      ...protectionInput(spec),
    },
  ]);
  run.setProtectedFiles(guard.files);
  if (ws.startCommit && spec.metrics.some(isPaired)) {
    const { dir } = await acts.quick.ensureBaselineWorktree.executeWithOptions({ summary: 'baseline worktree' }, [
      { goalId, workspace: run.spec.workspace, startCommit: ws.startCommit },
    ]);
    run.setBaselineDir(dir);
  }
  const round = await measureRound(run, acts, 'baseline', false);
  await estimateNoise(run, acts);
  for (const c of round.checks.filter((x) => !x.passed)) {
    run.warn(failsAtBaselineWarning(c.name), Date.now());
  }
  run.recordExtras(round.holdout, round.checklist);
  return run.recordBaseline(round.metrics, round.checks, ws.fingerprint, Date.now()).achieved;
}

/** An edit changed what is editable: the protected paths are taken again (recorded paths keep their baseline). */
export async function retakeProtection(run: GoalRun, acts: Acts): Promise<void> {
  const guard = await acts.quick.protectWorkspace.executeWithOptions({ summary: 'record protected paths again' }, [
    { goalId: run.state.goalId, workspace: run.spec.workspace, ...protectionInput(run.spec), retake: true },
  ]);
  run.protectionRetaken(guard.files, Date.now());
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
          ...allowEnvOf(run.spec),
        },
      ],
    );
    run.recordNoise(metric, aa.pairs, Date.now());
  }
}

/** Measures every criterion once: metrics (paired when relative, after the baseline), checks, holdout, checklist. */
export async function measureRound(
  run: GoalRun,
  acts: Acts,
  label: string,
  paired: boolean,
): Promise<VerificationRound> {
  const { goalId } = run.state;
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
      { goalId, workspace: run.spec.workspace, check, label, ...allowEnvOf(run.spec) },
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
    checklist.push(commandVerdict(item.item, item.command, r));
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
      [
        {
          goalId: run.state.goalId,
          workspace: run.spec.workspace,
          baselineDir,
          metric,
          pairs: batch,
          label,
          ...allowEnvOf(run.spec),
        },
      ],
    );
    durationMs += r.durationMs;
    pairs.push(...r.pairs);
    if (r.error) return { name: metric.name, value: null, samples: pairs.length, error: r.error, durationMs };
    const outcome = pairedOutcome(metric, metric.target.relative, pairs, durationMs);
    if ('result' in outcome) return outcome.result;
    batch = outcome.morePairs;
  }
}

/** Verifies when the workspace changed since the last verification or the agent claims done. */
export async function verifyIfChanged(
  run: GoalRun,
  acts: Acts,
  turn: { claimedDone: boolean; mayHaveChanged: boolean },
): Promise<boolean> {
  const { claimedDone } = turn;
  // A turn of read-only calls changed nothing: no fingerprint needed, unless an edit voided the last verification.
  if (!claimedDone && !turn.mayHaveChanged && run.state.verifiedFingerprint !== null) return false;
  const { fingerprint } = await acts.quick.fingerprintWorkspace.executeWithOptions(
    { summary: 'fingerprint workspace' },
    [{ workspace: run.spec.workspace }],
  );
  if (fingerprint !== run.state.verifiedFingerprint) run.workspaceChanged();
  if (!run.needsVerification(fingerprint, claimedDone)) return false;
  run.setPhase('verifying');
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
    const outcome = run.recordVerification(round.metrics, round.checks, fingerprint, claimedDone, Date.now());
    if (outcome.newBest.length > 0 && !outcome.achieved) await milestone(run, acts, 'new best');
    return outcome.achieved;
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
  const judged = await acts.model.judgeChecklist.executeWithOptions(
    { summary: `judge ${items.length} checklist item(s)` },
    [
      {
        goalId: run.state.goalId,
        workspace: run.spec.workspace,
        startCommit: run.state.startCommit,
        objective: run.spec.objective,
        items: items.map((i) => i.item),
        evidence: judgeEvidence(round),
        model: run.spec.model,
      },
    ],
  );
  run.recordModelUsage(judged.usage);
  for (const v of judged.verdicts)
    round.checklist.push({ item: v.item, verified: v.verified, by: 'judge', reason: v.reason });
}

export async function measureMetric(
  run: GoalRun,
  acts: Acts,
  metric: MetricSpec,
  label: string,
): Promise<MetricResult> {
  const timeoutMs = (metric.timeoutSeconds * repeatsFor(metric) + 120) * 1000;
  return acts.work.measureMetric.executeWithOptions(
    { summary: `measure ${metric.name} ×${repeatsFor(metric)}`, startToCloseTimeout: timeoutMs },
    [{ goalId: run.state.goalId, workspace: run.spec.workspace, metric, label, ...allowEnvOf(run.spec) }],
  );
}
