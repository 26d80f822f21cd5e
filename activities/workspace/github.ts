/**
 * The GitHub client of the worker: its settings from the environment (GITHUB_TOKEN, GITHUB_API_URL for GitHub
 * Enterprise) and a real `@octokit/rest` client built from them, with no retries of its own (Temporal retries the
 * activity) and a log that never prints the token. A GitHub App is used through an installation token in
 * GITHUB_TOKEN.
 */
import type { Octokit } from '@octokit/rest';
import { isHttpUrl } from '../../common/http-url';

/** How to reach GitHub; held by the worker, never passed through workflow history. */
export interface GitHubConfig {
  /** A token that may write pull requests (a fine-grained or classic PAT, or an App installation token). */
  readonly token: string;
  /**
   * The REST API's base URL, from GITHUB_API_URL: `https://ghe.example.com/api/v3` for GitHub Enterprise Server (its
   * GraphQL endpoint, `/api/graphql`, is derived from it).
   * @default 'https://api.github.com'
   */
  readonly apiUrl?: string;
  /**
   * Deadline of one HTTP call.
   * @default 30_000
   */
  readonly timeoutMs?: number;
}

export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000;

/**
 * Reads the GitHub settings from the environment: null when GITHUB_TOKEN is unset or empty (no pull requests).
 * Throws an `Error` that says how to fix a bad setting; the token is never part of it.
 */
export function githubConfigFromEnv(env: Readonly<Record<string, string | undefined>>): GitHubConfig | null {
  const token = env['GITHUB_TOKEN']?.trim() ?? '';
  const apiUrl = env['GITHUB_API_URL']?.trim() ?? '';
  if (apiUrl !== '' && !isHttpUrl(apiUrl)) {
    throw new Error(
      `GITHUB_API_URL is not an http(s) URL (${JSON.stringify(apiUrl)}): use e.g. https://ghe.example.com/api/v3 for GitHub Enterprise Server, or unset it for github.com`,
    );
  }
  if (token === '') return null;
  if (/\s/.test(token)) {
    throw new Error('GITHUB_TOKEN contains whitespace: copy the token again, without spaces or line breaks');
  }
  return { token, ...(apiUrl !== '' && { apiUrl: apiUrl.replace(/\/+$/, '') }) };
}

/** Thrown when `@octokit/rest` cannot be loaded (it is an ES module: Node 20.19 or later loads it from CommonJS). */
export class GitHubClientUnavailableError extends Error {
  override readonly name = 'GitHubClientUnavailableError';
}

/**
 * A client for one activity call: every request ends at the config's deadline or when `signal` aborts (the activity
 * was cancelled). Loaded on first use, so workers without GITHUB_TOKEN never load it.
 */
export async function createGitHubClient(config: GitHubConfig, signal?: AbortSignal): Promise<Octokit> {
  let Client: typeof Octokit;
  try {
    ({ Octokit: Client } = await import('@octokit/rest'));
  } catch (err) {
    throw new GitHubClientUnavailableError(
      `@octokit/rest could not be loaded (${(err as Error).message.split('\n', 1)[0]}): run the worker on Node 20.19 or later`,
    );
  }
  const timeout = AbortSignal.timeout(config.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS);
  const silent = () => undefined;
  return new Client({
    auth: config.token,
    userAgent: 'longhaul',
    ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}),
    request: { signal: signal ? AbortSignal.any([signal, timeout]) : timeout },
    // Failures reach the goal as activity failures; request lines would only repeat them in the worker's log.
    log: { debug: silent, info: silent, warn: silent, error: silent },
  });
}
