/**
 * A Longhaul worker process for the benchmarks: worker/main.ts plus what they vary, from the environment:
 * LONGHAUL_BENCH_TUNING (JSON of GoalWorkerTuning, over the shipped settings, or over the SDK's defaults with
 * LONGHAUL_BENCH_BASE=sdk) and LONGHAUL_BENCH_BUNDLE (a prebuilt workflow bundle's path).
 */
import { NativeConnection } from '@temporalio/worker';
import { loadWorkerConfig } from '../../worker/config';
import { installWorkerLogger } from '../../worker/logger';
import { activityDepsFrom, createGoalWorker, type GoalWorkerTuning } from '../../worker/worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  installWorkerLogger(process.env);
  const tuning = JSON.parse(process.env.LONGHAUL_BENCH_TUNING ?? '{}') as GoalWorkerTuning;
  const bundle = process.env.LONGHAUL_BENCH_BUNDLE;
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await createGoalWorker({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: activityDepsFrom(config),
    // The shipped settings (worker/config.ts) under the benchmark's, unless LONGHAUL_BENCH_BASE=sdk.
    tuning: { ...(process.env.LONGHAUL_BENCH_BASE === 'sdk' ? {} : config.tuning), ...tuning },
    ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  console.error(`longhaul worker: polling task queue "${config.taskQueue}"`);
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(`bench worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
