/** Builds a Longhaul worker: the goal workflow plus the activities wired to their dependencies. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
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
  /** Payload codecs (encryption: worker/codec.ts dataConverterFromEnv); the SDK's default converter when absent. */
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

export async function createGoalWorker(opts: GoalWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle && !opts.tracing
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(opts.activities),
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
    ...opts.tuning,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...(opts.tracing ? { interceptors: opts.tracing.interceptors, sinks: opts.tracing.sinks } : {}),
  });
}

/** Activity dependencies from a validated worker config. */
export function activityDepsFrom(config: WorkerConfig): ActivityDeps {
  return {
    home: config.home,
    openai: config.openai,
    defaultModel: config.defaultModel,
    defaultApi: config.defaultApi,
    slack: config.slack,
  };
}
