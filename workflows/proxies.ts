/** The activity proxies the goal workflow uses, one per kind of work, each with a bounded retry policy. */
import {
  ActivityFailure,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { GoalActivities } from '../activities';
import { PERMANENT_FAILURES } from '../goal/failures';
import { rebaseArgs } from '../goal/placement';
import type { ActivityTuning } from '../goal/tuning';

export type Acts = ReturnType<typeof goalActivities>;
type Proxies = ReturnType<typeof proxyActivities<GoalActivities>>;
type LocalProxies = ReturnType<typeof proxyLocalActivities<GoalActivities>>;
type Kind = 'model' | 'work' | 'quick' | 'ask';

/**
 * Where a goal's activities go (workflows/placement.ts): its host's task queue, how long an activity may wait there for
 * the host's worker, and what to do when it waited that long.
 */
export interface Placement {
  /** The task queue of the goal's host now. */
  queue(): string;
  /** The goal's workspace now (activity arguments built for an older one are rebased after a move). */
  workspace(): string;
  /** Schedule-to-start timeout of the goal's activities: past it, the host counts as gone. */
  readonly waitMs: number;
  /** Waits until the host that `queue` named is back or the goal moved away from it. */
  lost(queue: string): Promise<void>;
}

/**
 * - `model`: model turns and the judge; retried with backoff (honouring Retry-After), 12 attempts (about 40
 *   minutes) by default; then the workflow waits the outage out itself (workflows/turn.ts).
 * - `work`: tools and measurements, long and heartbeating.
 * - `quick`: workspace bookkeeping (fingerprints, integrity, worktrees, milestone commits).
 * Every activity heartbeats (activities/heartbeat.ts), so a dead worker costs a heartbeat timeout, not minutes.
 * - `ask`: side questions; someone is waiting, so they give up sooner (and do not wait for a lost host).
 * - `local`: the quick tool calls (goal/tools.ts QUICK_TOOLS) as local activities, run by the workflow's own worker
 *   inside its workflow task: no task of their own, one server round trip less per turn (bench/overhead.ts). Short
 *   timeout, two attempts; workflows/tool-call.ts falls back to `work` when they fail. Absent with a `placement`: a local
 *   activity runs where the workflow runs, which need not be the host that holds the workspace.
 * With a `placement` every activity runs on the goal's host, and one that its host's worker does not take in time
 * waits for the host (or a move) and is then sent again.
 */
export function goalActivities(tuning: ActivityTuning, placement?: Placement, stamp?: Stamp) {
  const { heartbeatTimeoutMs: heartbeatTimeout, modelMaxAttempts } = tuning;
  const options: Record<Kind, ActivityOptions> = {
    model: {
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout,
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '5 minutes',
        maximumAttempts: modelMaxAttempts,
        nonRetryableErrorTypes: [...PERMANENT_FAILURES],
      },
    },
    work: {
      startToCloseTimeout: '65 minutes',
      heartbeatTimeout,
      retry: {
        initialInterval: '1s',
        maximumInterval: '1 minute',
        maximumAttempts: 5,
        nonRetryableErrorTypes: [...PERMANENT_FAILURES],
      },
    },
    quick: {
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout,
      retry: {
        initialInterval: '1s',
        maximumInterval: '30s',
        maximumAttempts: 10,
        nonRetryableErrorTypes: [...PERMANENT_FAILURES],
      },
    },
    ask: {
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout,
      retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 },
    },
  };
  const make = (kind: Kind): Proxies => {
    const proxies = placement
      ? onHost(options[kind], placement, kind !== 'ask')
      : proxyActivities<GoalActivities>(options[kind]);
    return stamp ? stamped(proxies, stamp) : proxies;
  };
  const local = placement ? undefined : proxyLocalActivities<GoalActivities>(LOCAL_OPTIONS);
  return {
    model: make('model'),
    work: make('work'),
    quick: make('quick'),
    ask: make('ask'),
    local: local && stamp ? stamped(local, stamp) : local,
  };
}

/**
 * The quick tools' local activities: a read, a listing or a search takes milliseconds; one that takes longer than
 * this (a search of a huge tree) is cancelled and runs again as a regular activity, with heartbeats and its 65 minutes.
 */
const LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '200ms', maximumAttempts: 2, nonRetryableErrorTypes: [...PERMANENT_FAILURES] },
};

/**
 * Fields added to the input of every activity call (an object input), read as the call is made: the goal's store id,
 * so that a worker with another goal store refuses the call (activities/store/same-store.ts). Empty: nothing added.
 */
export type Stamp = () => Readonly<Record<string, string>>;

/** Proxies (regular or local) whose calls carry the stamp's fields in their (object) input. */
function stamped<P extends Proxies | LocalProxies>(proxies: P, stamp: Stamp): P {
  const withStamp = (args: unknown[]) => {
    const [first, ...rest] = args;
    return typeof first === 'object' && first !== null && !Array.isArray(first)
      ? [{ ...first, ...stamp() }, ...rest]
      : args;
  };
  return new Proxy({} as P, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const fn = proxies[name as keyof GoalActivities] as unknown as ((...a: unknown[]) => Promise<unknown>) & {
        executeWithOptions: (o: ActivityOptions | LocalActivityOptions, a: unknown[]) => Promise<unknown>;
      };
      return Object.assign((...args: unknown[]) => fn(...withStamp(args)), {
        executeWithOptions: (override: ActivityOptions | LocalActivityOptions, args: unknown[]) =>
          fn.executeWithOptions(override, withStamp(args)),
      });
    },
  });
}

/** The activity failed because no worker took it within its schedule-to-start timeout: the host's worker is gone. */
export function hostGone(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

/** Proxies that send each call to the goal's host as it is at the call, and resend it once a lost host is back. */
function onHost(options: ActivityOptions, placement: Placement, waits: boolean): Proxies {
  const call = async (name: keyof GoalActivities, override: ActivityOptions | undefined, args: unknown[]) => {
    for (let workspace = placement.workspace(); ;) {
      const queue = placement.queue();
      const fn = proxyActivities<GoalActivities>({
        ...options,
        taskQueue: queue,
        scheduleToStartTimeout: placement.waitMs,
      })[name];
      try {
        return await (override
          ? fn.executeWithOptions(override, args as never)
          : (fn as (...a: unknown[]) => Promise<unknown>)(...args));
      } catch (err) {
        if (!waits || !hostGone(err)) throw err;
        await placement.lost(queue);
        args = rebaseArgs(args, workspace, placement.workspace());
        workspace = placement.workspace();
      }
    }
  };
  return new Proxy({} as Proxies, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const activity = name as keyof GoalActivities;
      return Object.assign((...args: unknown[]) => call(activity, undefined, args), {
        executeWithOptions: (override: ActivityOptions, args: unknown[]) => call(activity, override, args),
      });
    },
  });
}
