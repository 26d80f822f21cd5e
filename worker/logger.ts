/**
 * The worker's log for a person at a terminal: one line per event, level WARN by default
 * (LONGHAUL_LOG_LEVEL=INFO|DEBUG for more). A failed activity attempt reads
 * `activity modelTurn failed (attempt 3, goal …): could not reach the model server …; Temporal retries it`
 * instead of the SDK's multi-line dump with the task token and stack.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** One line for a log entry. Exported for tests. */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString().slice(11, 19);
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const error = meta.error as { message?: unknown; type?: unknown; nonRetryable?: unknown } | undefined;
  if (entry.message === 'Activity failed' && error) {
    const retried = error.nonRetryable === true ? 'permanent' : 'Temporal retries it';
    return `${time} activity ${String(meta.activityType)} failed (attempt ${String(meta.attempt)}, goal ${String(meta.workflowId)}): ${String(error.message)}; ${retried}`;
  }
  const details = ['workflowId', 'activityType', 'taskQueue']
    .filter((k) => meta[k] !== undefined)
    .map((k) => `${k}=${String(meta[k])}`);
  const reason = meta.error instanceof Error ? meta.error.message : undefined;
  return `${time} ${entry.level} ${entry.message}${details.length ? ` (${details.join(' ')})` : ''}${reason ? `: ${reason}` : ''}`;
}

/** Installs the compact logger for this process's Temporal runtime (once, before any worker or connection). */
export function installWorkerLogger(env: NodeJS.ProcessEnv = process.env): void {
  const wanted = (env.LONGHAUL_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  const level = LEVELS.includes(wanted) ? wanted : 'WARN';
  Runtime.install({ logger: new DefaultLogger(level, (entry) => process.stderr.write(`${formatLogEntry(entry)}\n`)) });
}
