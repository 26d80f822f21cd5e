/** `longhaul worker`: a worker alone, against TEMPORAL_ADDRESS, until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { loadWorkerConfig } from './config';
import { installWorkerLogger } from './logger';
import { activityDepsFrom, createGoalWorker } from './worker';

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadWorkerConfig(env);
  installWorkerLogger(env);
  const connection = await NativeConnection.connect({ address: config.address });
  try {
    const worker = await createGoalWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      activities: activityDepsFrom(config),
    });
    console.error(
      `longhaul worker: polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace}); goal store ${config.home}`,
    );
    await worker.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    console.error(`longhaul worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
