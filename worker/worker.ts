/** Builds a Longhaul worker: the goal workflow plus the activities wired to their dependencies. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { WorkerConfig } from './config';

export interface GoalWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: ActivityDeps;
  /** A prebuilt workflow bundle (tests share one); by default the workflows are bundled at start. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long shutdown waits for running activities before they are cancelled. @default '10s' */
  readonly shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

export async function createGoalWorker(opts: GoalWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(opts.activities),
    shutdownGraceTime: opts.shutdownGraceTime ?? '10s',
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
