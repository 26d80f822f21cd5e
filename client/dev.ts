/**
 * `longhaul dev`: the embedded Temporal dev server and a worker in one command; optionally starts a goal
 * and follows it. Ctrl-C stops the worker, then the server; running it again resumes running goals.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { GoalSpec } from '../goal/spec';
import { loadWorkerConfig } from '../worker/config';
import { activityDepsFrom, createGoalWorkers } from '../worker/worker';
import { workflowBundleFor } from '../worker/workflow-bundle';
import { openCheckedGoalStore } from '../worker/goal-store';
import { startDevServer } from './dev-server';
import { startGoal, waitForGoal } from './goals';
import { followGoal } from './watch';
import { dataConverterFromEnv } from '../common/codec';
import { installWorkerRuntime } from '../worker/telemetry';

export interface DevOptions {
  readonly port: number;
  readonly uiPort?: number;
  /** A goal to start once the worker runs. */
  readonly goal?: GoalSpec;
  /** Stop everything when that goal ends; the exit code reflects its outcome. */
  readonly exitWhenDone?: boolean;
  readonly log: (line: string) => void;
  /**
   * The web dashboard (client/dashboard/): on `port`, or, when absent, on the Web UI's port + 1 (any free port if
   * that one is taken); false: none. @default {}
   */
  readonly dashboard?: { readonly port?: number } | false;
}

/** Runs until Ctrl-C (or until the goal ends with exitWhenDone); returns the goal's final status if any. */
export async function runDev(opts: DevOptions, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const config = loadWorkerConfig({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${opts.port}` });
  const dataConverter = dataConverterFromEnv(env); // LONGHAUL_ENCRYPTION_KEY*: worker and client alike
  const workflowBundle = workflowBundleFor(env);
  installWorkerRuntime(env);
  const { store, storeId } = await openCheckedGoalStore(config); // a store it cannot use stops dev here
  // Its ports must be free (DevPortInUseError otherwise): a worker attached to another `longhaul dev`'s server would
  // serve that one's goals with this one's goal store.
  const server = await startDevServer({
    home: config.home,
    port: opts.port,
    ...(opts.uiPort ? { uiPort: opts.uiPort } : {}),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  opts.log(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl} (state: ${server.dbFile})`);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const workers = await createGoalWorkers({
    connection: nativeConnection,
    host: config.host,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: activityDepsFrom(config, store),
    tuning: config.tuning,
    ...(workflowBundle ? { workflowBundle } : {}),
    // Ctrl-C should be quick: an interrupted tool call or measurement is retried when dev runs again.
    shutdownGraceTime: '3s',
    ...(dataConverter ? { dataConverter } : {}),
  });
  const running = workers.run();
  opts.log(
    `worker polling "${config.taskQueue}" and host ${config.host}'s "${workers.hostQueue}"; goal store ${store.description} (id ${storeId}). Ctrl-C stops both.`,
  );
  let finalStatus: string | null = null;
  let dashboard: { close: () => Promise<void> } | null = null;
  const connection =
    opts.goal || opts.dashboard !== false ? await Connection.connect({ address: server.address }) : null;
  const client = connection
    ? new Client({ connection, namespace: config.namespace, ...(dataConverter ? { dataConverter } : {}) })
    : null;
  try {
    if (client && opts.dashboard !== false) {
      const { startDevDashboard } = await import('./dashboard/dev');
      const started = await startDevDashboard({
        client,
        store,
        home: config.home,
        uiUrl: server.uiUrl,
        namespace: config.namespace,
        ...(opts.dashboard?.port !== undefined ? { port: opts.dashboard.port } : {}),
        env,
      });
      dashboard = started;
      opts.log(started.banner);
    }
    if (opts.goal && client) {
      const handle = await startGoal(client, opts.goal, { taskQueue: config.taskQueue, host: config.host });
      opts.log(
        `started goal ${handle.workflowId}: ${server.uiUrl}/namespaces/${config.namespace}/workflows/${handle.workflowId}`,
      );
      // Both stop when the worker does (Ctrl-C): the connection is closed only once they have.
      const stop = new AbortController();
      // The follower checks the signal between polls (its queries are short); only the long poll needs cancelling.
      const following = followGoal(client, handle.workflowId, opts.log, stop.signal).catch(() => null);
      const waiting = opts.exitWhenDone
        ? client.withAbortSignal(stop.signal, () => waitForGoal(client, handle.workflowId)).catch(() => null)
        : Promise.resolve(null);
      const result = await Promise.race([waiting, running.then(() => null)]);
      if (result) {
        await following; // it ends by itself once it has seen the goal's last events
        finalStatus = result.status;
        opts.log(`goal ${handle.workflowId} ended ${result.status}: ${result.reason}`);
        workers.shutdown();
      }
      await running;
      stop.abort();
      await Promise.all([following, waiting]);
    }
    await running;
  } finally {
    workers.shutdown();
    await running.catch(() => undefined);
    await dashboard?.close();
    await connection?.close();
    await nativeConnection.close();
    await store.close(); // after the workers: their activities have stopped using it
    await server.stop();
    opts.log('stopped the worker and the dev server');
  }
  return finalStatus;
}
