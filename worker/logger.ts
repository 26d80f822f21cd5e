/**
 * The worker's log for a person at a terminal: one line per event, level WARN by default
 * (LONGHAUL_LOG_LEVEL=INFO|DEBUG for more). A failed activity attempt reads
 * `activity modelTurn failed (attempt 3, goal …): could not reach the model server …; Temporal retries it`
 * instead of the SDK's multi-line dump with the task token and stack.
 * With LONGHAUL_LOG_FORMAT=json, one JSON object per line instead, for a log collector:
 * `{"time":"…","level":"WARN","message":"Activity failed","attributes":{"activityType":"modelTurn",…}}`.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger, LogLevel } from '@temporalio/common';
import { ConfigError } from '../common/temporal-config';
import { storeUrlPasswords } from '../activities/store/settings';

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

/** Attribute names whose values are never logged, whatever logs them (the SDK's task token included). */
const SECRET_NAME = /(token|secret|password|passwd|api[-_]?key|authorization|credentials?|private[-_]?key|^key)$/i;

/** Values of the environment that are secrets: they are masked wherever they appear in a JSON log line. */
const SECRET_VARIABLES =
  /^(OPENAI_API_KEY|SLACK_BOT_TOKEN|TEMPORAL_API_KEY|TEMPORAL_TLS_CLIENT_KEY_DATA|LONGHAUL_ENCRYPTION_KEYS?|LONGHAUL_STORE_URL|GITHUB_TOKEN)$/;

/** The secret values `env` holds (each at least 8 characters, so masking cannot garble ordinary words). */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || !SECRET_VARIABLES.test(name)) continue;
    // LONGHAUL_ENCRYPTION_KEYS is id:key,id:key: mask each key as well as the whole list.
    for (const part of [value, ...value.split(',').map((e) => e.slice(e.indexOf(':') + 1))]) {
      if (part.trim().length >= 8) values.push(part.trim());
    }
    // LONGHAUL_STORE_URL: after the whole URL, its password, as written and decoded, wherever it appears alone.
    if (name === 'LONGHAUL_STORE_URL') values.push(...storeUrlPasswords(value).filter((p) => p.length >= 8));
  }
  return values;
}

/** A JSON-safe copy of a log attribute: errors as {name, message, type}, secrets by name dropped, depth capped. */
function jsonValue(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (value instanceof Error) {
    const type = (value as { type?: unknown }).type;
    return { name: value.name, message: value.message, ...(typeof type === 'string' ? { type } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => jsonValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_NAME.test(k)) continue;
    if (k === 'stack' || k === 'stackTrace') continue; // multi-line noise; the message says what failed
    const converted = jsonValue(v, depth + 1);
    if (converted !== undefined) out[k] = converted;
  }
  return out;
}

/**
 * One JSON line for a log entry: time (ISO 8601), level, message and attributes. Attributes named like a secret
 * (task token, API key, password…) are left out, and any of `secrets` that still appears is replaced by `[redacted]`.
 * Exported for tests.
 */
export function formatLogEntryJson(entry: LogEntry, secrets: readonly string[] = []): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const attributes = jsonValue(entry.meta ?? {}, 0);
  let line = JSON.stringify({ time, level: entry.level, message: entry.message, attributes });
  for (const secret of secrets) line = line.split(JSON.stringify(secret).slice(1, -1)).join('[redacted]');
  return line;
}

/** LONGHAUL_LOG_FORMAT: `text` (default) or `json`. */
export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): 'text' | 'json' {
  const format = (env.LONGHAUL_LOG_FORMAT || 'text').toLowerCase();
  if (format !== 'text' && format !== 'json') {
    throw new ConfigError(`LONGHAUL_LOG_FORMAT must be "text" or "json", not "${format}"`);
  }
  return format;
}

/** The worker's logger as the environment configures it (LONGHAUL_LOG_LEVEL, LONGHAUL_LOG_FORMAT), to stderr. */
export function workerLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const wanted = (env.LONGHAUL_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  const level = LEVELS.includes(wanted) ? wanted : 'WARN';
  if (logFormatFromEnv(env) === 'json') {
    const secrets = secretValues(env);
    return new DefaultLogger(level, (entry) => process.stderr.write(`${formatLogEntryJson(entry, secrets)}\n`));
  }
  return new DefaultLogger(level, (entry) => process.stderr.write(`${formatLogEntry(entry)}\n`));
}

/**
 * A line of the worker's own (startup, fatal error) in the configured format: plain text as before, or a JSON
 * object like the SDK's entries. `message` must not contain secrets.
 */
export function workerStatusLine(
  env: NodeJS.ProcessEnv,
  level: LogLevel,
  message: string,
  attributes: Record<string, unknown> = {},
): string {
  // Never throws (it also reports a bad LONGHAUL_LOG_FORMAT): anything but "json" is text.
  if ((env.LONGHAUL_LOG_FORMAT ?? '').toLowerCase() !== 'json') return `longhaul worker: ${message}`;
  const entry: LogEntry = { level, message, meta: attributes, timestampNanos: BigInt(Date.now()) * 1_000_000n };
  return formatLogEntryJson(entry, secretValues(env));
}

/** Installs the compact logger for this process's Temporal runtime (once, before any worker or connection). */
export function installWorkerLogger(env: NodeJS.ProcessEnv = process.env): void {
  Runtime.install({ logger: workerLogger(env) });
}
