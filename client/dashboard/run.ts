/**
 * `longhaul dashboard`: the dashboard against TEMPORAL_ADDRESS, with this host's goal store (LONGHAUL_HOME, or
 * LONGHAUL_STORE_URL) for charts and turns, until Ctrl-C. `longhaul dev` starts the same server (startDevDashboard).
 */
import type { Client } from '@temporalio/client';
import { openGoalStore, type GoalStoreChoice } from '../../activities/store/open';
import { isPostgresUrl } from '../../activities/store/settings';
import type { GoalStore } from '../../activities/store/types';
import { ConfigError, longhaulHome, loadTemporalConfig, withoutBlanks } from '../../common/temporal-config';
import { connectClient } from '../connect';
import { accessToken } from './access';
import { startDashboard, type Dashboard } from './server';

/** The port `longhaul dashboard` listens on unless told (the dev server's Web UI is on 8233). */
export const DEFAULT_DASHBOARD_PORT = 8234;

/** Thrown when the dashboard's port is taken. */
export class DashboardPortInUseError extends Error {
  override readonly name = 'DashboardPortInUseError';
}

export interface DashboardCliOptions {
  readonly port: number;
  readonly host: string;
  /** The Temporal Web UI's URL (default: guessed for a local dev server, else no links). */
  readonly temporalUi?: string;
}

/** The goal store this host's worker uses, as worker/config.ts reads it (the dashboard only reads from it). */
function storeChoice(env: NodeJS.ProcessEnv): GoalStoreChoice {
  const e = withoutBlanks(env);
  if (e.LONGHAUL_STORE_URL === undefined) return { kind: 'files' };
  if (!isPostgresUrl(e.LONGHAUL_STORE_URL)) {
    throw new ConfigError('LONGHAUL_STORE_URL must be a postgres:// URL, or unset for files under LONGHAUL_HOME');
  }
  return {
    kind: 'postgres',
    url: e.LONGHAUL_STORE_URL,
    ...(e.LONGHAUL_STORE_SCHEMA ? { schema: e.LONGHAUL_STORE_SCHEMA } : {}),
  };
}

/** The Web UI of a dev server on this machine: its gRPC port + 1000, as `longhaul dev` and `temporal server start-dev` do. */
export function guessTemporalUi(address: string): string | null {
  const m = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(address);
  return m ? `http://${m[1]}:${Number(m[2]) + 1000}` : null;
}

export interface StartedDashboard extends Dashboard {
  /** The lines to show the user: where it is and how to open it. */
  readonly banner: string;
}

/** Starts the dashboard on a client the caller owns; a taken port is reported as DashboardPortInUseError. */
export async function startDashboardOn(o: {
  client: Client;
  store: GoalStore | null;
  home: string;
  port: number;
  host?: string;
  temporalUi: { url: string; namespace: string } | null;
  /** @default accessToken(env) */
  token?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<StartedDashboard> {
  const token = o.token ?? accessToken(o.env ?? process.env);
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      client: o.client,
      store: o.store,
      home: o.home,
      token,
      port: o.port,
      ...(o.host ? { host: o.host } : {}),
      temporalUi: o.temporalUi,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DashboardPortInUseError(
        `the dashboard's port ${o.port} is taken (another \`longhaul dashboard\` or \`longhaul dev\`?): pass --port <free port>`,
      );
    }
    throw err;
  }
  const host = o.host ?? '127.0.0.1';
  const exposed = !['127.0.0.1', 'localhost', '::1'].includes(host);
  return {
    ...dashboard,
    banner: [
      `dashboard: ${dashboard.url}`,
      `  open that URL (it holds the access token${(o.env ?? process.env).LONGHAUL_DASHBOARD_TOKEN ? ', LONGHAUL_DASHBOARD_TOKEN' : ', new at every start'}); scripts send Authorization: Bearer <token>`,
      ...(exposed ? [`  listening on ${host}: anyone who can reach it and has the token can steer your goals`] : []),
    ].join('\n'),
  };
}

/** Runs until SIGINT/SIGTERM. */
export async function runDashboard(
  o: DashboardCliOptions,
  log: (line: string) => void,
  env = process.env,
): Promise<void> {
  const config = loadTemporalConfig(env);
  const token = accessToken(env); // a bad LONGHAUL_DASHBOARD_TOKEN stops it before anything connects
  const store = openGoalStore(storeChoice(env), longhaulHome(env));
  const { client, close } = await connectClient(config, env);
  const temporalUi = o.temporalUi ?? guessTemporalUi(config.address);
  try {
    const dashboard = await startDashboardOn({
      client,
      store,
      home: longhaulHome(env),
      port: o.port,
      host: o.host,
      temporalUi: temporalUi ? { url: temporalUi, namespace: config.namespace } : null,
      token,
      env,
    });
    log(dashboard.banner);
    log(`goals of ${config.address} (namespace ${config.namespace}); Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
  } finally {
    await close();
    await store.close();
  }
}
