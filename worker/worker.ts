/** Builds a Longhaul worker: the goal workflow plus the activities wired to their dependencies. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { openGoalStore } from '../activities/store/open';
import { McpPool } from '../activities/tools/mcp/pool';
import type { GoalStore } from '../activities/store/types';
import { hostQueue } from '../goal/placement';
import type { WorkerConfig } from './config';
import type { Tracing } from './tracing';

export interface GoalWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: ActivityDeps;
  /** A prebuilt workflow bundle (tests share one); by default the workflows are bundled at start. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long shutdown waits for running activities before they are cancelled. @default '10s' */
  readonly shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Capacity and caching of the worker (see bench/concurrency.ts); the SDK's defaults where absent. */
  readonly tuning?: GoalWorkerTuning;
  /** Payload codecs (encryption: common/codec.ts dataConverterFromEnv); the SDK's default converter when absent. */
  readonly dataConverter?: WorkerOptions['dataConverter'];
  /**
   * OpenTelemetry interceptors and the workflow span sink (worker/tracing.ts tracingFromEnv); off when absent.
   * Its workflow interceptor must be bundled with the workflows, so with tracing a prebuilt `workflowBundle` is
   * set aside and the workflows are bundled at start.
   */
  readonly tracing?: Tracing['worker'];
}

/** The worker options that decide how many goals one worker carries. */
export type GoalWorkerTuning = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'reuseV8Context'
  | 'stickyQueueScheduleToStartTimeout'
>;

export async function createGoalWorker(opts: GoalWorkerOptions, activities = createActivities(opts.activities)) {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle && !opts.tracing
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities,
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
    ...opts.tuning,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.tracing ? { interceptors: opts.tracing.interceptors, sinks: opts.tracing.sinks } : {}),
  });
}

/** The two workers of a machine: the shared queue's, and its host queue's (the goals whose workspace is here). */
export interface GoalWorkers {
  readonly shared: Worker;
  readonly host: Worker;
  /** The host queue's name, `<shared queue>@<host>`. */
  readonly hostQueue: string;
  /** Runs both until one stops (SIGINT/SIGTERM stop both), then stops the other; rejects with the first failure. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * A worker of the shared queue (workflows, and the activities of goals without a host) and an activities-only
 * worker of this host's queue (goal/placement.ts), sharing one set of activities.
 */
export async function createGoalWorkers(opts: GoalWorkerOptions & { readonly host: string }): Promise<GoalWorkers> {
  // The MCP servers the activities start live as long as the worker: stopped once both workers have stopped.
  const mcp = opts.activities.mcp ?? new McpPool();
  const activities = createActivities({ ...opts.activities, host: opts.host, mcp });
  const shared = await createGoalWorker(opts, activities);
  const queue = hostQueue(opts.taskQueue, opts.host);
  const host = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: queue,
    activities,
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
    ...(opts.tuning?.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: opts.tuning.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.tracing ? { interceptors: { activity: opts.tracing.interceptors.activity ?? [] } } : {}),
  });
  const stopBoth = () => {
    for (const w of [shared, host]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    shared,
    host,
    hostQueue: queue,
    shutdown: stopBoth,
    run: async () => {
      const results = await Promise.allSettled([shared.run().finally(stopBoth), host.run().finally(stopBoth)]);
      if (!opts.activities.mcp) await mcp.close();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * Activity dependencies from a validated worker config, with the goal store the caller opened and closes at
 * shutdown; without one, the config's store is opened here and stays open until the process exits.
 */
export function activityDepsFrom(config: WorkerConfig, store?: GoalStore): ActivityDeps {
  return {
    home: config.home,
    store: store ?? openGoalStore(config.store, config.home),
    openai: config.openai,
    defaultModel: config.defaultModel,
    defaultApi: config.defaultApi,
    slack: config.slack,
    github: config.github,
    host: config.host,
  };
}
