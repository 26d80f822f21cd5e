/** The activity proxies the goal workflow uses, one per kind of work, each with a bounded retry policy. */
import { proxyActivities } from '@temporalio/workflow';
import type { GoalActivities } from '../activities';
import { PERMANENT_FAILURES } from '../goal/failures';

export type Acts = ReturnType<typeof goalActivities>;

/**
 * - `model`: model turns and the judge; retried with backoff (honouring Retry-After), 12 attempts (about 40
 *   minutes) by default; then the workflow waits the outage out itself (workflows/turn.ts).
 * - `work`: tools and measurements, long and heartbeating.
 * - `quick`: workspace bookkeeping (fingerprints, integrity, worktrees, milestone commits).
 * Every activity heartbeats (activities/heartbeat.ts), so a dead worker costs a heartbeat timeout, not minutes.
 * - `ask`: side questions; someone is waiting, so they give up sooner.
 */
export function goalActivities(heartbeatTimeout: number, modelMaxAttempts: number) {
  const model = proxyActivities<GoalActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      maximumAttempts: modelMaxAttempts,
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
    heartbeatTimeout,
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
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
  });
  return { model, work, quick, ask };
}
