/**
 * Progress reporting beside the goal loop, never in its way: the progress document after each measurement, the
 * Slack thread after significant events (coalesced: one sync carries every event queued meanwhile and the latest
 * status), and both refreshed every hour. Reporting failures are retried a few times, then left for the next wake:
 * Slack down for hours never fails, blocks or slows the goal; its status message catches up when Slack is back.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type { GoalActivities, SlackUpdateResult } from '../activities';
import type { SlackStatus } from '../activities/reporting/slack/render';
import type { GoalRun } from '../goal/run';
import type { GoalStatusView } from '../goal/status';
import { PATCHES } from './patches';
import type { Placement } from './proxies';

/** The status refresh interval (progress document and Slack status message). */
export const REFRESH_MS = 3_600_000;
/** Events are collected this long before a Slack sync, so a burst becomes one sync. */
const DEBOUNCE_MS = 2_000;
/** How long stopping waits for a report in flight before cancelling it. */
const STOP_GRACE_MS = 30_000;
/** After a failed Slack sync, wait at least this long before the next (unless the hour comes first). */
const SLACK_BACKOFF_MS = 5 * 60_000;
export interface Reporter {
  /** Stops the background loop (before continue-as-new), cancelling a sync in flight. */
  stop(): Promise<void>;
  /** One last delivery at the end of the goal: the final document and Slack post, bounded by the retry policy. */
  finalFlush(): Promise<void>;
}

export function startReporter(run: GoalRun, heartbeatTimeoutMs: number, placement?: Placement): Reporter {
  const options = {
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 4 },
  } as const;
  // Slack from any worker; the progress document (and its mirror in the workspace) on the goal's host, without
  // waiting for a lost one: the goal loop does the waiting, and Slack must still say that it waits.
  const report = proxyActivities<GoalActivities>(options);
  const onHost = () =>
    placement
      ? proxyActivities<GoalActivities>({
          ...options,
          taskQueue: placement.queue(),
          scheduleToStartTimeout: placement.waitMs,
        })
      : report;
  const scope = new CancellationScope();
  let stopping = false;
  let progressWritten = -1;
  let running = false; // an activity of the loop is in flight
  let slackRetryAt = 0;
  const slackPending = () => run.state.outbox.length > 0 && run.state.slack.off === null;
  // One timer per hour, left to fire: a condition timeout was cancelled (two events) at each wake for an event, and
  // a cancel of a timer that fired meanwhile strands the time-skipping test server's workflow task (sdk-java#3088).
  const steadyTimer = patched(PATCHES.reporterHourlyTimer.id);
  let timerDue: number | null = null;
  /** Starts the timer that wakes the loop at `due`, once per hour (outside the loop's scope: never cancelled). */
  const wakeAt = (due: number) => {
    if (timerDue === due || due <= Date.now()) return;
    timerDue = due;
    void CancellationScope.nonCancellable(() => sleep(due - Date.now()));
  };

  const writeProgress = async () => {
    progressWritten = run.state.progressVersion;
    const mirror = run.spec.report.mirror;
    try {
      await onHost().writeProgress.executeWithOptions({ summary: 'progress document' }, [
        {
          goalId: run.state.goalId,
          workspace: run.spec.workspace,
          view: run.view(Date.now()),
          ...(mirror ? { mirrorDir: joinPath(run.spec.workspace, mirror) } : {}),
        },
      ]);
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      run.warn(`the progress document could not be written: ${err.cause?.message ?? err.message}`, Date.now());
    }
  };

  const syncSlack = async () => {
    const events = run.state.outbox.slice();
    const slack = run.state.slack;
    let result: SlackUpdateResult;
    try {
      result = await report.updateSlack.executeWithOptions({ summary: `slack: ${events.length} event(s) + status` }, [
        {
          goalId: run.state.goalId,
          channel: slack.channel ?? run.spec.report.slackChannel ?? null,
          parentTs: slack.parentTs,
          startedAt: run.state.startedAt,
          status: slackStatusOf(run.view(Date.now()), run),
          events: events.map((e) => ({ key: `ev-${e.seq}`, kind: e.kind, text: e.text, at: e.at })),
        },
      ]);
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const cause = err.cause;
      if (cause instanceof ApplicationFailure && cause.nonRetryable) {
        // A configuration problem (bad channel, missing scope): say so, and try again at the next hourly refresh.
        run.slackMisconfigured(cause.message, Date.now());
      }
      slackRetryAt = Date.now() + SLACK_BACKOFF_MS;
      return;
    }
    if ('off' in result) {
      run.slackOff(result.off); // no token on this worker: stop queueing for Slack
      return;
    }
    run.slackThread(result.channel, result.parentTs);
    const last = events.at(-1);
    if (last) run.delivered(last.seq);
  };

  const loop = async () => {
    while (!stopping) {
      const due = (run.state.lastRefreshAt ?? run.state.startedAt) + REFRESH_MS;
      const progressDue = () => run.state.progressVersion !== progressWritten && measured(run);
      const woken = () => stopping || progressDue() || (slackPending() && Date.now() >= slackRetryAt);
      if (steadyTimer) {
        wakeAt(due);
        await condition(() => woken() || Date.now() >= due);
      } else {
        await condition(woken, Math.max(0, due - Date.now()));
      }
      if (stopping) return;
      const hourly = Date.now() >= due;
      if (hourly) {
        run.refreshed(Date.now()); // and Slack is tried again: the worker may have a token now, or the channel is fixed
        slackRetryAt = 0;
      }
      running = true;
      if (hourly || progressDue()) await writeProgress();
      running = false;
      if (slackPending() || (hourly && run.state.slack.off === null)) {
        await condition(() => stopping, DEBOUNCE_MS); // gather a burst of events into one sync
        if (stopping) return;
        running = true;
        await syncSlack();
        running = false;
      }
    }
  };
  const done = scope.run(loop).catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
  let finished = false;
  void done.then(() => (finished = true));
  /** Stops the loop: an activity in flight may finish for a while (a quick write usually does), then is cancelled. */
  const halt = async () => {
    stopping = true;
    if (running && !(await condition(() => finished, STOP_GRACE_MS))) scope.cancel();
    await done;
  };

  return {
    async stop() {
      await halt();
    },
    async finalFlush() {
      await halt();
      await writeProgress();
      if (run.state.slack.off === null) await syncSlack();
    },
  };
}

/** Reporting starts once there is something measured to show (the baseline). */
function measured(run: GoalRun): boolean {
  return run.state.phase !== 'baseline';
}

/** The parent message's content: small and JSON-plain (it travels through history). */
export function slackStatusOf(v: GoalStatusView, run: GoalRun): SlackStatus {
  const b = v.budget;
  const budget = [
    `turns ${b.turns.used}/${b.turns.limit ?? '∞'}`,
    ...(b.tokens.limit ? [`tokens ${b.tokens.used}/${b.tokens.limit}`] : [`tokens ${b.tokens.used}`]),
    ...(b.cost.used > 0 || b.cost.limit
      ? [`$${b.cost.used.toFixed(2)}${b.cost.limit ? `/$${b.cost.limit.toFixed(2)}` : ''}`]
      : []),
    `${b.hours.used.toFixed(1)} h${b.hours.limit ? `/${b.hours.limit} h` : ''}`,
  ].join(' · ');
  return {
    goalId: v.goalId,
    objective: v.objective,
    status: v.status,
    phase: v.phase,
    turn: v.turn,
    maxTurns: b.turns.limit,
    progress: v.progress,
    metrics: v.metrics.map((m) => ({
      name: m.name,
      direction: m.direction,
      baseline: m.baseline,
      best: m.best,
      latest: m.latest,
      target: m.target,
      verdict: m.verdict,
    })),
    budget,
    paused: v.paused,
    reason: v.reason ?? v.attention?.text ?? (run.paused ? (run.state.paused?.reason ?? null) : null),
    ...(v.sandbox === 'off' ? { unsandboxed: true } : {}),
    updatedAt: Date.now(),
  };
}

/** `workspace/rel` without Node's path module (workflow code): a relative spec path under the workspace. */
function joinPath(workspace: string, rel: string): string {
  return `${workspace.replace(/\/+$/, '')}/${rel.replace(/^\.?\/+/, '')}`;
}
