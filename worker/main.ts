/** `longhaul worker`: a worker alone, against the Temporal the environment names, until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { loadWorkerConfig } from './config';
import { installWorkerLogger } from './logger';
import { describeTemporalConnection, temporalConnection } from './temporal-connection';
import { activityDepsFrom, createGoalWorker } from './worker';
import { workflowBundleFromEnv } from './workflow-bundle';

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadWorkerConfig(env);
  const temporal = temporalConnection(config, env);
  const workflowBundle = workflowBundleFromEnv(env);
  installWorkerLogger(env);
  const connection = await NativeConnection.connect(temporal.options);
  try {
    const worker = await createGoalWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: config.taskQueue,
      activities: activityDepsFrom(config),
      ...(workflowBundle ? { workflowBundle } : {}),
    });
    console.error(
      `longhaul worker: polling task queue "${config.taskQueue}" on ${describeTemporalConnection(temporal)}; goal store ${config.home}`,
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
