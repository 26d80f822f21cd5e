/** A Temporal dev server and Longhaul workers for the benchmarks (no jest: the test helpers' plain parts only). */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { workerTuningFromEnv } from '../../worker/config';
import { createGoalWorker } from '../../worker/worker';
import { startTestServer, workflowBundle } from '../../test/helpers/temporal';
import { tempDir } from '../../test/helpers/workspace';

/** The repository root, from the compiled tree (dist/.bench/bench/lib). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The dev server the tests use (in memory, Longhaul's search attributes), found from the compiled tree too. */
export function startDevServer(): Promise<TestWorkflowEnvironment> {
  process.env.TEMPORAL_CLI_PATH ??= path.join(REPO_ROOT, '.tools', 'temporal', 'bin', 'temporal');
  return startTestServer();
}

export interface InProcessWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  readonly home: string;
}

let seq = 0;

/**
 * A Longhaul worker in this process (as test/helpers/goal-harness.ts builds it) with the shipped settings, on its own
 * task queue.
 */
export async function inProcessWorker(
  env: TestWorkflowEnvironment,
  modelUrl: string,
  /** Activity settings to compare (e.g. the prompt layout, bench/context.ts); the shipped ones by default. */
  activities: Pick<ActivityDeps, 'contextLayout'> = {},
): Promise<InProcessWorker> {
  const home = tempDir('longhaul-bench-home-');
  const taskQueue = `bench-${process.pid}-${++seq}`;
  const worker = await createGoalWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      home,
      openai: { apiKey: 'sk-bench', baseURL: modelUrl },
      defaultModel: 'fake-model',
      defaultApi: 'responses',
      ...activities,
    },
    tuning: workerTuningFromEnv({}),
  });
  return { worker, taskQueue, home };
}
