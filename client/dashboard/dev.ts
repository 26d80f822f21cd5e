/** The dashboard as part of `longhaul dev`: beside the dev server's Web UI, on its port + 1 unless told otherwise. */
import type { Client } from '@temporalio/client';
import type { GoalStore } from '../../activities/store/types';
import { DashboardPortInUseError, startDashboardOn, type StartedDashboard } from './run';

export async function startDevDashboard(o: {
  client: Client;
  store: GoalStore;
  home: string;
  /** The dev server's Web UI, e.g. http://127.0.0.1:8233. */
  uiUrl: string;
  namespace: string;
  /** A port asked for: taken, it is an error. Absent: the Web UI's port + 1, or any free port if that is taken. */
  port?: number;
  env: NodeJS.ProcessEnv;
}): Promise<StartedDashboard> {
  const common = {
    client: o.client,
    store: o.store,
    home: o.home,
    temporalUi: { url: o.uiUrl, namespace: o.namespace },
    env: o.env,
  };
  if (o.port !== undefined) return startDashboardOn({ ...common, port: o.port });
  const next = Number(new URL(o.uiUrl).port) + 1;
  try {
    return await startDashboardOn({ ...common, port: next <= 65_535 ? next : 0 });
  } catch (err) {
    if (!(err instanceof DashboardPortInUseError)) throw err;
    return startDashboardOn({ ...common, port: 0 });
  }
}
