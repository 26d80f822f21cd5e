/**
 * Finishing well: before a goal ends (achieved, out of budget, stalled, blocked) the agent reflects on what it
 * tried, then gets a few clean-up turns to remove leftovers of ineffective attempts; the orchestrator re-verifies
 * and reverts the clean-up to the last verified commit if anything broke — a clean-up never turns an achieved goal
 * into a failed one. Then the final report is written (also for a cancelled goal: where it stood).
 */
import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import { cleanupTampered, type CleanupStart, type GoalRun } from '../goal/run';
import type { FinalStatus } from '../goal/status';
import { milestone } from './milestones';
import type { Acts } from './proxies';
import { publish } from './visibility';
import { turn, type OutagePolicy } from './turn';
import { measureRound } from './verify';

export interface Ending {
  readonly status: FinalStatus;
  readonly reason: string;
}

/** Endings that get a review and clean-up: not cancelled, failed or blocked goals (the model may be the problem). */
const REVIEWED: readonly FinalStatus[] = ['achieved', 'budget_exhausted', 'stalled'];

/**
 * Reflection and clean-up; returns the ending unchanged (a broken clean-up is reverted, never kept). A failure here
 * (the model unreachable, a git error) is reported and skips the rest: finishing never fails a goal.
 */
export async function finalizeWork(run: GoalRun, acts: Acts, ending: Ending, outage: OutagePolicy): Promise<Ending> {
  const f = run.spec.finalize;
  if (!REVIEWED.includes(ending.status) || !run.state.startCommit || run.state.turn === 0) return ending;
  if (!f.reflect && f.cleanupTurns === 0) return ending;
  const spent = run.spendExhausted();
  if (spent) {
    run.event(`no review or clean-up: the budget is spent (${spent})`, Date.now());
    return ending;
  }
  try {
    await review(run, acts, ending, outage);
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    run.warn(`finalizing stopped early: ${err.cause?.message ?? err.message}`, Date.now());
  }
  return ending;
}

async function review(run: GoalRun, acts: Acts, ending: Ending, outage: OutagePolicy): Promise<void> {
  const f = run.spec.finalize;
  const startCommit = run.state.startCommit;
  run.setPhase('finalizing');
  publish(run);
  if (f.reflect) {
    const r = await acts.model.reflect.executeWithOptions({ summary: 'reflect on the attempts' }, [
      {
        goalId: run.state.goalId,
        workspace: run.spec.workspace,
        startCommit,
        objective: run.spec.objective,
        outcome: [`${ending.status}: ${ending.reason}`, run.describeCriteria()],
        events: run.state.events.map((e) => e.text),
        hiddenChecks: run.spec.holdout.map((h) => h.name),
        model: run.spec.model,
      },
    ]);
    run.recordModelUsage(r.usage);
    run.recordReflection(r.text, Date.now());
  }
  if (f.cleanupTurns === 0) return;

  // The verified state to come back to: a milestone commit of the workspace as it stands now.
  const checkpoint = await milestone(run, acts, 'before clean-up');
  if (!checkpoint) return; // nothing was ever changed (or milestones are off): nothing to clean up
  const before = run.cleanupStart(ending.status === 'achieved');
  let turns = 0;
  for (; turns < f.cleanupTurns; turns++) {
    run.noteCleanupTurn(ending, turns + 1, f.cleanupTurns);
    // No hours-long outage waits while finishing: an unreachable model ends the clean-up.
    const t = await turn(run, acts, { ...outage, maxMs: 0 }, `clean-up turn ${turns + 1} of ${f.cleanupTurns}`);
    run.setPhase('finalizing');
    if (run.state.outage) break;
    if (t.claimedDone || run.state.idleTurns > 0) break; // done, or a turn without any tool call
    if (run.spendExhausted()) break; // the clean-up never spends past the token or money limit
  }
  turns = Math.min(turns + 1, f.cleanupTurns);
  const { fingerprint } = await acts.quick.fingerprintWorkspace.executeWithOptions(
    { summary: 'fingerprint workspace' },
    [{ workspace: run.spec.workspace }],
  );
  if (fingerprint === run.state.verifiedFingerprint) {
    run.cleanupChangedNothing(turns);
    return;
  }
  const broken = await reverify(run, acts, before);
  if (broken) {
    await acts.quick.restoreWorkingTree.executeWithOptions({ summary: 'revert the clean-up' }, [
      { workspace: run.spec.workspace, commit: checkpoint },
    ]);
    run.cleanupReverted(turns, broken, checkpoint, Date.now());
  } else {
    run.cleanupKept(turns, Date.now());
  }
}

/** Re-verifies after the clean-up; returns what broke, or null (then the new measurements are recorded). */
async function reverify(run: GoalRun, acts: Acts, before: CleanupStart): Promise<string | null> {
  const integrity = await acts.quick.verifyIntegrity.executeWithOptions({ summary: 'check protected paths' }, [
    { goalId: run.state.goalId, workspace: run.spec.workspace, startCommit: run.state.startCommit },
  ]);
  if (integrity.violations.length > 0) return cleanupTampered(integrity.violations);
  const round = await measureRound(run, acts, 'after clean-up', true);
  const broken = run.cleanupBroke(before, round);
  if (broken) return broken;
  const { fingerprint } = await acts.quick.fingerprintWorkspace.executeWithOptions(
    { summary: 'fingerprint workspace' },
    [{ workspace: run.spec.workspace }],
  );
  run.recordExtras(round.holdout, round.checklist);
  run.recordVerification(round.metrics, round.checks, fingerprint, false, Date.now());
  return null;
}

/**
 * The final report (REPORT.md and report.html in the goal store); also for cancelled and failed goals. Announced
 * by {@link announceReport} once it is committed.
 */
export async function writeReport(run: GoalRun, acts: Acts): Promise<string | null> {
  try {
    const paths = await acts.quick.writeFinalReport.executeWithOptions({ summary: 'final report' }, [
      {
        goalId: run.state.goalId,
        view: run.view(Date.now()),
        reflection: run.state.finalization.reflection,
        cleanup: run.state.finalization.cleanup,
      },
    ]);
    run.recordReport(paths);
    return paths.markdown;
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    run.warn(`the final report could not be written: ${err.cause?.message ?? err.message}`, Date.now());
    return null;
  }
}

/** The goal's last event (and Slack's last reply): the report's summary line, where it is, and its commit. */
export function announceReport(run: GoalRun, markdown: string, commit: string | null): void {
  const change = run.metricChange();
  const where = commit ? `; committed as ${commit.slice(0, 10)} on ${run.state.milestones.branch}` : '';
  run.event(
    `final report (${run.state.status}${change ? `; ${change}` : ''}): ${markdown}${where}`,
    Date.now(),
    'final',
  );
}
