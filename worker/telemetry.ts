/**
 * The worker process's Temporal runtime: its logger (worker/logger.ts) and, when LONGHAUL_METRICS_ADDRESS is set
 * (e.g. `0.0.0.0:9464`), Prometheus metrics of the worker — task slots, polls, workflow and activity task
 * latencies — served by the SDK's native runtime at `/metrics`. Both must be set before any connection is made.
 * Tracing is in worker/tracing.ts.
 */
import { Runtime, type TelemetryOptions } from '@temporalio/worker';
import { ConfigError } from '../common/temporal-config';
import { workerLogger } from './logger';

/** The SDK's Prometheus exporter settings: metrics served at http://<bindAddress>/metrics. */
export type PrometheusMetrics = Extract<NonNullable<TelemetryOptions['metrics']>, { prometheus: unknown }>;

/** The Prometheus exporter LONGHAUL_METRICS_ADDRESS asks for, or undefined (metrics off). */
export function metricsFromEnv(env: NodeJS.ProcessEnv = process.env): PrometheusMetrics | undefined {
  const address = env.LONGHAUL_METRICS_ADDRESS?.trim();
  if (!address) return undefined;
  if (!/^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d{1,5}$/.test(address) || Number(address.split(':').pop()) > 65535) {
    throw new ConfigError(
      `LONGHAUL_METRICS_ADDRESS must be host:port to serve Prometheus metrics on, e.g. 0.0.0.0:9464, not "${address}"`,
    );
  }
  return { prometheus: { bindAddress: address } };
}

/**
 * Installs this process's Temporal runtime: the worker logger (worker/logger.ts) and, when configured, the
 * Prometheus exporter. Once per process, before any worker or connection is created.
 */
export function installWorkerRuntime(env: NodeJS.ProcessEnv = process.env): void {
  const metrics = metricsFromEnv(env);
  Runtime.install({ logger: workerLogger(env), ...(metrics ? { telemetryOptions: { metrics } } : {}) });
}
