/**
 * Every tuning default of a goal in one place: how the workflow drives its activities (timeouts, retries, history
 * bounds, outages, host waits), the draft's, and what the worker's activities assume when their dependencies leave a
 * knob unset, and the worker's own. Each is merged from one function, so a default is read here and nowhere else. Pure: the workflows,
 * the activities, the worker and the CLI all import it.
 */

/** Knobs for how the goal workflow drives activities; defaults suit real goals, tests shorten them. */
export interface GoalTuning {
  /** How long a tool or measurement may go without a heartbeat before Temporal retries it elsewhere. @default 30 */
  readonly heartbeatTimeoutSeconds?: number;
  /**
   * Continue-as-new once a run's history holds this many events (or Temporal suggests it first). @default 2000 for
   * goals started since the `history-bound-2000` patch, 10000 for goals started before (workflows/patches.ts).
   */
  readonly maxHistoryEvents?: number;
  /** Continue-as-new once a run's history is this large in bytes. @default 10 MiB */
  readonly maxHistoryBytes?: number;
  /** Attempts of a model call (backoff 1 s doubling to 5 min, or the server's Retry-After). @default 12 */
  readonly modelMaxAttempts?: number;
  /** After the model activity's own retries give up, try again this often. @default 10 */
  readonly outageRetryMinutes?: number;
  /** A model outage this long ends the goal `blocked`. @default 12 */
  readonly maxOutageHours?: number;
  /**
   * How long an activity waits for the goal's host's worker to take it before the goal reports that it waits for
   * its host (goals with a host only). @default 300
   */
  readonly hostWaitSeconds?: number;
}

/** A goal's tuning with every default filled in. */
export type ResolvedGoalTuning = Required<GoalTuning>;

/**
 * About 140 turns: a worker that takes a goal over (after a crash or a deploy) replays at most this much, about a
 * second (bench/recovery.ts).
 */
export const MAX_HISTORY_EVENTS = 2_000;
/** The bound of goals started before MAX_HISTORY_EVENTS became the default; they keep it, so they replay as run. */
export const LEGACY_MAX_HISTORY_EVENTS = 10_000;

export const GOAL_TUNING_DEFAULTS: Omit<ResolvedGoalTuning, 'maxHistoryEvents'> = {
  heartbeatTimeoutSeconds: 30,
  maxHistoryBytes: 10 * 1024 * 1024,
  modelMaxAttempts: 12,
  outageRetryMinutes: 10,
  maxOutageHours: 12,
  hostWaitSeconds: 300,
};

/**
 * The goal's tuning: what the input sets, else the defaults. `boundedHistory` is false only for goals that started
 * before the 2,000-event default (the workflow asks `patched()`), which keep 10,000.
 */
export function resolveGoalTuning(tuning: GoalTuning | undefined, boundedHistory: boolean): ResolvedGoalTuning {
  const set = Object.fromEntries(Object.entries(tuning ?? {}).filter(([, v]) => v !== undefined)) as GoalTuning;
  return {
    ...GOAL_TUNING_DEFAULTS,
    maxHistoryEvents: boundedHistory ? MAX_HISTORY_EVENTS : LEGACY_MAX_HISTORY_EVENTS,
    ...set,
  };
}

/** How the workflows' activity proxies are set up (workflows/proxies.ts). */
export interface ActivityTuning {
  /** Heartbeat timeout of every activity, in ms. */
  readonly heartbeatTimeoutMs: number;
  /** Attempts of a model call before the workflow waits the outage out itself. */
  readonly modelMaxAttempts: number;
}

/** The activity tuning of a goal. */
export function activityTuningOf(t: ResolvedGoalTuning): ActivityTuning {
  return { heartbeatTimeoutMs: t.heartbeatTimeoutSeconds * 1000, modelMaxAttempts: t.modelMaxAttempts };
}

/** A draft's: someone is waiting, so its model calls give up sooner than a goal's. */
export const DRAFT_TUNING = {
  activities: { heartbeatTimeoutMs: 30_000, modelMaxAttempts: 8 } satisfies ActivityTuning,
  /** How long a draft's activity waits for its host's worker before the draft gives up. */
  hostWaitMs: 300_000,
} as const;

/** What the worker's activities assume where their dependencies leave a knob unset (activities/index.ts). */
export const ACTIVITY_DEFAULTS = {
  /** The model when neither the spec nor LONGHAUL_MODEL names one. */
  model: 'gpt-5.1',
  /** The wire API when LONGHAUL_MODEL_API does not say (worker/config.ts picks `chat` for non-OpenAI servers). */
  api: 'responses',
  /** A shell call's timeout when the model gives none. */
  shellTimeoutMs: 600_000,
  /** Tool output the model sees, head and tail. */
  maxOutputChars: 20_000,
  /** Transcript characters sent per turn, whatever the context window. */
  maxTranscriptChars: 400_000,
  /** The host name `hostAlive` answers when the worker has none (LONGHAUL_HOST). */
  host: 'local',
} as const;

/** The worker's own defaults where its environment sets nothing (worker/config.ts), from the benchmarks. */
export const WORKER_DEFAULTS = {
  /** How long a goal's next step waits for the worker that holds it in memory (LONGHAUL_STICKY_TIMEOUT_SECONDS). */
  stickyTimeoutSeconds: 1,
  /** Activity slots of a worker (LONGHAUL_MAX_CONCURRENT_ACTIVITIES): about one per goal it carries. */
  maxConcurrentActivities: 1000,
} as const;
