/**
 * Where Temporal is and which queues this machine serves, from the environment: what every `longhaul` command needs,
 * read without zod (the CLI's start time: `longhaul status` loads this, not the worker's settings in config.ts).
 * Every error names the variable and the fix.
 */
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../goal/messages';
import { hostNameProblem } from '../goal/placement';

/** Thrown when an environment variable is missing or invalid; the message names it and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface TemporalConfig {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /**
   * This machine's name for goal placement (LONGHAUL_HOST, else the OS host name cut to its first label and to the
   * characters a host name may have): a worker polls `<queue>@<host>`, and `start` sends goals there by default.
   */
  readonly host: string;
}

/** The environment without its empty variables: everywhere in Longhaul's settings, an empty variable counts as unset. */
export function withoutBlanks(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
}

/** What a client needs: where Temporal is. */
export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const e = withoutBlanks(env);
  const problems: string[] = [];
  const address = e.TEMPORAL_ADDRESS ?? 'localhost:7233';
  if (!/^[^\s:]+:\d+$/.test(address)) {
    problems.push('TEMPORAL_ADDRESS must be host:port, e.g. localhost:7233');
  }
  const host = e.LONGHAUL_HOST;
  const hostProblem = host === undefined ? null : hostNameProblem(host);
  if (hostProblem) problems.push(`LONGHAUL_HOST: ${hostProblem}`);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return {
    address,
    namespace: e.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: e.LONGHAUL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    host: host ?? defaultHostName(),
  };
}

/** LONGHAUL_HOME, else ~/.longhaul. */
export function longhaulHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LONGHAUL_HOME || path.join(os.homedir(), '.longhaul'));
}

function defaultHostName(): string {
  const name = os
    .hostname()
    .split('.')[0]!
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name || 'localhost';
}
