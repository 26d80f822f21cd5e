/**
 * A goal's host (goal/placement.ts) as the workflow lives it: activities go to the host's task queue; when its worker
 * does not take one in time, the goal says it waits for that host (status, Slack), pings it until it answers, or
 * carries out a move the user asked for: the goal branch re-cloned on the new host, where the goal continues.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { GoalActivities } from '../activities';
import { isPaired } from '../goal/rounds';
import { hostQueue } from '../goal/placement';
import type { GoalRun } from '../goal/run';
import { hostGone, type Placement } from './proxies';
import { publish } from './visibility';

/** A ping waits this long for the host's worker before the next one is sent (a worker that returns takes it at once). */
const PING_WAIT_MS = 3_600_000;

export interface HostTiming {
  /** How long an activity waits for the host's worker before the host counts as gone. */
  readonly waitMs: number;
  readonly heartbeatTimeoutMs: number;
}

/** The placement of a goal that has a host; none (every activity on the workflow's own queue) for one without. */
export function placementOf(run: GoalRun, timing: HostTiming): Placement | undefined {
  if (run.state.host.name === null) return undefined;
  let waiting: Promise<void> | null = null;
  return {
    queue: () => hostQueue(workflowInfo().taskQueue, run.state.host.name),
    workspace: () => run.spec.workspace,
    waitMs: timing.waitMs,
    lost: async (queue) => {
      // Sent before a move and timed out after it: the goal is elsewhere already, send it again there.
      if (queue !== hostQueue(workflowInfo().taskQueue, run.state.host.name)) return;
      waiting ??= waitForHost(run, timing).finally(() => (waiting = null));
      await waiting;
    },
  };
}

/** Holds the goal until its host's worker answers or a move to another host succeeds. */
async function waitForHost(run: GoalRun, timing: HostTiming): Promise<void> {
  run.hostLost(Date.now());
  publish(run);
  for (;;) {
    if (run.state.host.move) {
      await carryOutMove(run, timing);
      publish(run);
      if (run.state.host.lostSince === null) return;
      continue;
    }
    const heard = await pingOrMove(run);
    if (heard === 'back') {
      run.hostBack(Date.now());
      publish(run);
      return;
    }
    if (heard === 'failed') await sleep(timing.waitMs); // not a timeout (an old worker without the ping?): no busy loop
  }
}

/** A ping on the host's queue, raced against a move request: whichever comes first; the other is cancelled. */
async function pingOrMove(run: GoalRun): Promise<'back' | 'gone' | 'failed' | 'move'> {
  const queue = hostQueue(workflowInfo().taskQueue, run.state.host.name);
  const ping = proxyActivities<GoalActivities>({
    taskQueue: queue,
    scheduleToStartTimeout: PING_WAIT_MS,
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  });
  const scope = new CancellationScope();
  const answered = scope
    .run(() => ping.hostAlive.executeWithOptions({ summary: `ping host ${run.state.host.name}` }, []))
    .then(
      () => 'back' as const,
      (err: unknown) =>
        isCancellation(err) ? ('gone' as const) : hostGone(err) ? ('gone' as const) : ('failed' as const),
    );
  const moveAsked = scope
    .run(() => condition(() => run.state.host.move !== null))
    .then(
      () => 'move' as const,
      () => 'gone' as const,
    );
  const first = await Promise.race([answered, moveAsked]);
  scope.cancel();
  await Promise.all([answered, moveAsked]);
  return first;
}

/** Re-clones the goal branch on the new host (and the baseline worktree, for paired metrics); on failure, says why. */
async function carryOutMove(run: GoalRun, timing: HostTiming): Promise<void> {
  const move = run.state.host.move;
  if (!move) return;
  const acts = proxyActivities<GoalActivities>({
    taskQueue: hostQueue(workflowInfo().taskQueue, move.host),
    scheduleToStartTimeout: timing.waitMs,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
  });
  try {
    const { commit } = await acts.cloneGoalBranch.executeWithOptions(
      { summary: `move: clone ${run.state.milestones.branch} on ${move.host}` },
      [
        {
          goalId: run.state.goalId,
          remote: move.remote,
          branch: run.state.milestones.branch,
          workspace: move.workspace,
        },
      ],
    );
    const startCommit = run.state.startCommit;
    if (startCommit && run.spec.metrics.some(isPaired)) {
      const { dir } = await acts.ensureBaselineWorktree.executeWithOptions({ summary: 'baseline worktree' }, [
        { goalId: run.state.goalId, workspace: move.workspace, startCommit },
      ]);
      run.moved(commit, Date.now());
      run.setBaselineDir(dir);
    } else {
      run.moved(commit, Date.now());
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.moveFailed(moveError(err, move.host, timing.waitMs), Date.now());
  }
}

function moveError(err: unknown, host: string, waitMs: number): string {
  if (hostGone(err)) {
    return `no worker of host "${host}" took the work within ${Math.round(waitMs / 1000)} s: start one there (longhaul worker with LONGHAUL_HOST=${host})`;
  }
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
