/** `longhaul worker`: a worker alone, against the Temporal the environment names, until SIGINT/SIGTERM. */
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../common/codec';
import { loadWorkerConfig } from './config';
import { workerStatusLine } from './logger';
import { installWorkerRuntime, metricsFromEnv } from './telemetry';
import { tracingFromEnv } from './tracing';
import { describeTemporalConnection, temporalConnection } from '../common/temporal-connection';
import { activityDepsFrom, createGoalWorkers } from './worker';
import { openCheckedGoalStore } from './goal-store';
import { workflowBundleFor } from './workflow-bundle';

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Every setting is checked before anything starts: a bad key or address stops the worker with the fix.
  const config = loadWorkerConfig(env);
  const temporal = temporalConnection(config, env);
  const workflowBundle = workflowBundleFor(env);
  const dataConverter = dataConverterFromEnv(env);
  const metrics = metricsFromEnv(env);
  installWorkerRuntime(env); // the logger and the Prometheus exporter, before the first connection
  const { store, storeId } = await openCheckedGoalStore(config); // a store it cannot use stops the worker here
  const tracing = tracingFromEnv('longhaul-worker', env);
  try {
    const connection = await NativeConnection.connect(temporal.options);
    try {
      const workers = await createGoalWorkers({
        connection,
        host: config.host,
        namespace: temporal.namespace,
        taskQueue: config.taskQueue,
        activities: activityDepsFrom(config, store),
        tuning: config.tuning,
        ...(workflowBundle ? { workflowBundle } : {}),
        ...(dataConverter ? { dataConverter } : {}),
        ...(tracing ? { tracing: tracing.worker } : {}),
      });
      const extras = [
        ...(dataConverter ? ['payloads encrypted'] : []),
        ...(metrics ? [`metrics on http://${metrics.prometheus.bindAddress}/metrics`] : []),
        ...(tracing ? [`traces to ${tracing.url}`] : []),
      ];
      console.error(
        workerStatusLine(
          env,
          'INFO',
          `polling task queue "${config.taskQueue}" on ${describeTemporalConnection(temporal)}; host ${config.host} (queue "${workers.hostQueue}"); goal store ${store.description} (id ${storeId})${extras.length ? `; ${extras.join('; ')}` : ''}`,
        ),
      );
      await workers.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
    } finally {
      await connection.close();
    }
  } finally {
    await tracing?.shutdown(); // the spans still buffered
    await store.close(); // after the worker: its activities have stopped using it
  }
}

if (require.main === module) {
  runWorker().catch((err: unknown) => {
    console.error(workerStatusLine(process.env, 'ERROR', err instanceof Error ? err.message : String(err)));
    process.exit(1);
  });
}
