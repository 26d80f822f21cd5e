/** Runs goals end to end: a real dev server, the fake model server, and an in-process Longhaul worker. */
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startGoal } from '../../client/goals';
import { parseGoalSpec, type GoalSpecInput } from '../../goal/spec';
import { statusQuery } from '../../goal/messages';
import type { GoalOutcome, GoalStatusView } from '../../goal/status';
import type { ActivityDeps } from '../../activities';
import { createGoalWorker, createGoalWorkers, type GoalWorkerOptions } from '../../worker/worker';
import type { FakeOpenAI } from '../fakes/openai-server';
import { workflowBundle } from './temporal';
import { tempDir } from './workspace';

let taskQueueSeq = 0;

export interface Harness {
  readonly env: TestWorkflowEnvironment;
  readonly fake: FakeOpenAI;
  readonly home: string;
  readonly taskQueue: string;
  /** Runs the worker (with a host: the shared queue's and the host queue's workers) while `fn` runs. */
  readonly worker: Pick<Worker, 'runUntil'>;
}

export async function createHarness(
  env: TestWorkflowEnvironment,
  fake: FakeOpenAI,
  api: 'responses' | 'chat' = 'responses',
  extra: Partial<ActivityDeps> = {},
  workerOptions: Pick<GoalWorkerOptions, 'dataConverter'> & { readonly host?: string } = {},
): Promise<Harness> {
  const home = tempDir('longhaul-home-');
  const taskQueue = `test-${process.pid}-${++taskQueueSeq}`;
  const { host, ...rest } = workerOptions;
  const options: GoalWorkerOptions = {
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      home,
      openai: { apiKey: 'sk-test-secret-key', baseURL: fake.url },
      defaultModel: 'fake-model',
      defaultApi: api,
      ...extra,
    },
    ...rest,
  };
  if (host) {
    // Goals started with this host (as `longhaul start` does, from LONGHAUL_HOST) run their activities there.
    const workers = await createGoalWorkers({ ...options, host });
    const worker: Pick<Worker, 'runUntil'> = {
      runUntil: (fn) => workers.host.runUntil(workers.shared.runUntil(fn)),
    };
    return { env, fake, home, taskQueue, worker };
  }
  return { env, fake, home, taskQueue, worker: await createGoalWorker(options) };
}

export interface GoalRunResult {
  readonly outcome: GoalOutcome;
  /** The `status` query answered after the goal ended (queries need a running worker). */
  readonly status: GoalStatusView;
  readonly description: WorkflowExecutionDescription;
}

/** Starts a goal and runs the worker until it ends. */
export async function runGoal(h: Harness, spec: GoalSpecInput, goalId: string): Promise<GoalRunResult> {
  return h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec), { taskQueue: h.taskQueue, goalId });
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery), description: await handle.describe() };
  });
}
