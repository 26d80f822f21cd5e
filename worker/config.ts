/**
 * Worker and client configuration from the environment, validated once at start; every error says
 * how to fix it. Secrets (OPENAI_API_KEY) stay in the worker process and never enter workflow history.
 */
import { slackConfigFromEnv, type SlackConfig } from '../activities/reporting/slack/config';
import { githubConfigFromEnv, type GitHubConfig } from '../activities/workspace/github';
import type { GoalStoreChoice } from '../activities/store/open';
import { isPostgresUrl, SCHEMA_NAME } from '../activities/store/settings';
import { z } from 'zod';
import { ACTIVITY_DEFAULTS, WORKER_DEFAULTS } from '../goal/tuning';
import {
  ConfigError,
  loadTemporalConfig,
  longhaulHome,
  withoutBlanks,
  type TemporalConfig,
} from '../common/temporal-config';
import type { GoalWorkerTuning } from './worker';

// The worker's settings beyond Temporal's (common/temporal-config.ts, which the CLI loads without zod).
const envSchema = z.object({
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url('OPENAI_BASE_URL must be a URL, e.g. http://localhost:11434/v1').optional(),
  LONGHAUL_MODEL: z.string().min(1).default(ACTIVITY_DEFAULTS.model),
  LONGHAUL_MODEL_API: z
    .enum(['responses', 'chat'], { error: 'LONGHAUL_MODEL_API must be "responses" or "chat"' })
    .optional(),
  LONGHAUL_MAX_CACHED_WORKFLOWS: count('LONGHAUL_MAX_CACHED_WORKFLOWS', 0, 'goals kept in memory, e.g. 1000'),
  LONGHAUL_MAX_CONCURRENT_ACTIVITIES: count('LONGHAUL_MAX_CONCURRENT_ACTIVITIES', 1, 'e.g. 1000 for 1000 goals'),
  LONGHAUL_MAX_CONCURRENT_WORKFLOW_TASKS: count('LONGHAUL_MAX_CONCURRENT_WORKFLOW_TASKS', 1, 'e.g. 40'),
  LONGHAUL_STICKY_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'LONGHAUL_STICKY_TIMEOUT_SECONDS must be a number of seconds, e.g. 2' })
    .positive('LONGHAUL_STICKY_TIMEOUT_SECONDS must be a number of seconds, e.g. 2')
    .optional(),
  // The value holds a password: no message repeats it.
  LONGHAUL_STORE_URL: z
    .string()
    .refine(
      isPostgresUrl,
      'LONGHAUL_STORE_URL must be a postgres:// URL, e.g. postgres://longhaul:<password>@db:5432/longhaul (percent-encode special characters of the password), or unset for files under LONGHAUL_HOME',
    )
    .optional(),
  LONGHAUL_STORE_SCHEMA: z
    .string()
    .regex(
      SCHEMA_NAME,
      'LONGHAUL_STORE_SCHEMA must be a PostgreSQL schema name of lower-case letters, digits and "_", e.g. longhaul (default public)',
    )
    .optional(),
});

/** A whole-number variable of at least `min`; the message names it and gives an example. */
function count(name: string, min: number, example: string) {
  const message = `${name} must be a whole number of at least ${min} (${example})`;
  return z.coerce.number({ error: message }).int(message).min(min, message).optional();
}

export interface WorkerConfig extends TemporalConfig {
  readonly home: string;
  readonly openai: { readonly apiKey: string; readonly baseURL?: string };
  readonly defaultModel: string;
  readonly defaultApi: 'responses' | 'chat';
  /** Slack (SLACK_BOT_TOKEN, SLACK_CHANNEL, SLACK_API_URL); null when SLACK_BOT_TOKEN is not set. */
  readonly slack: SlackConfig | null;
  /** GitHub for pull requests (GITHUB_TOKEN, GITHUB_API_URL); null when GITHUB_TOKEN is not set. */
  readonly github: GitHubConfig | null;
  /** Capacity and caching (LONGHAUL_MAX_*, LONGHAUL_STICKY_TIMEOUT_SECONDS); the SDK's defaults where unset. */
  readonly tuning: GoalWorkerTuning;
  /** The goal store (LONGHAUL_STORE_URL, LONGHAUL_STORE_SCHEMA): PostgreSQL, or files under `home` when unset. */
  readonly store: GoalStoreChoice;
}

type Env = z.infer<typeof envSchema>;

function parseEnv(env: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(withoutBlanks(env));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return result.data;
}

function githubFromEnv(env: NodeJS.ProcessEnv): GitHubConfig | null {
  try {
    return githubConfigFromEnv(env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function slackFromEnv(env: NodeJS.ProcessEnv): SlackConfig | null {
  try {
    return slackConfigFromEnv(env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** What a worker needs: Temporal, the goal store, the model server and (optionally) Slack. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const temporal = loadTemporalConfig(env);
  const e = parseEnv(env);
  if (!e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) {
    throw new ConfigError(
      'OPENAI_API_KEY is not set: export it, or set OPENAI_BASE_URL to a compatible server (e.g. http://localhost:11434/v1 for Ollama).',
    );
  }
  // Compatible servers (Ollama, vLLM) rarely need a key; the client library insists on one.
  const apiKey = e.OPENAI_API_KEY ?? 'not-needed';
  const defaultApi =
    e.LONGHAUL_MODEL_API ?? (e.OPENAI_BASE_URL && !/api\.openai\.com/.test(e.OPENAI_BASE_URL) ? 'chat' : 'responses');
  return {
    ...temporal,
    home: longhaulHome(env),
    openai: { apiKey, ...(e.OPENAI_BASE_URL ? { baseURL: e.OPENAI_BASE_URL } : {}) },
    defaultModel: e.LONGHAUL_MODEL,
    defaultApi,
    slack: slackFromEnv(env),
    github: githubFromEnv(env),
    store: storeFromEnv(e),
    tuning: tuningOf(e),
  };
}

/**
 * The worker's capacity and caching as shipped, with the environment's LONGHAUL_MAX_* and
 * LONGHAUL_STICKY_TIMEOUT_SECONDS over them (the benchmarks' workers take it with an empty environment).
 */
export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): GoalWorkerTuning {
  return tuningOf(parseEnv(env));
}

function tuningOf(e: Env): GoalWorkerTuning {
  return {
    ...(e.LONGHAUL_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: e.LONGHAUL_MAX_CACHED_WORKFLOWS } : {}),
    // Each running goal holds an activity slot most of the time (its model call or tool): the SDK's 100 would cap a
    // worker at 100 goals (bench/concurrency.ts).
    maxConcurrentActivityTaskExecutions:
      e.LONGHAUL_MAX_CONCURRENT_ACTIVITIES ?? WORKER_DEFAULTS.maxConcurrentActivities,
    ...(e.LONGHAUL_MAX_CONCURRENT_WORKFLOW_TASKS !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: e.LONGHAUL_MAX_CONCURRENT_WORKFLOW_TASKS }
      : {}),
    // 1 s, not the SDK's 10 s: after a crash, a goal's next step waits this long for the dead worker before
    // another worker replays it (bench/recovery.ts). A live worker takes its sticky tasks within milliseconds.
    stickyQueueScheduleToStartTimeout:
      (e.LONGHAUL_STICKY_TIMEOUT_SECONDS ?? WORKER_DEFAULTS.stickyTimeoutSeconds) * 1000,
  };
}

function storeFromEnv(e: Env): GoalStoreChoice {
  if (e.LONGHAUL_STORE_URL === undefined) {
    if (e.LONGHAUL_STORE_SCHEMA !== undefined) {
      throw new ConfigError('LONGHAUL_STORE_SCHEMA is set without LONGHAUL_STORE_URL: set both, or neither');
    }
    return { kind: 'files' };
  }
  return {
    kind: 'postgres',
    url: e.LONGHAUL_STORE_URL,
    ...(e.LONGHAUL_STORE_SCHEMA !== undefined ? { schema: e.LONGHAUL_STORE_SCHEMA } : {}),
  };
}
