/**
 * The goal's draft pull request on GitHub: found by its head branch (one per goal, also after a crash between
 * creating it and recording it), created as a draft from the pushed goal branch when there is none, its description
 * rewritten with the progress summary at each milestone and with the final report at the end, and marked ready for
 * review when the goal is achieved (GitHub's GraphQL `markPullRequestReadyForReview`: REST cannot un-draft).
 *
 * Only Temporal retries: a rate limit (403/429 with `retry-after` or an exhausted `x-ratelimit-remaining`) becomes a
 * retryable failure whose `nextRetryDelay` is GitHub's wait, so the wait is durable and survives a worker crash. The
 * goal waits for it (the sync is part of the milestone), so while the goal runs only a short wait is waited out
 * ({@link MAX_PROGRESS_WAIT_MS}: the next milestone rewrites the whole description anyway), at the end a longer one
 * ({@link MAX_FINAL_WAIT_MS}). A longer wait and every problem a retry cannot fix (bad token, no access, no such
 * repository, a refused request) are permanent failures that say what to fix. No message carries the token.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Octokit } from '@octokit/rest';
import type { GoalStatusView } from '../../goal/status';
import { isLocalPath, isRemoteUrl, parseRepoSlug, repoFromRemoteUrl, type RepoSlug } from '../../goal/github-repo';
import { buildProgressDoc, withoutHoldoutNames } from '../reporting/progress/doc';
import { renderFinalBody, renderProgressBody } from '../reporting/progress/pull-request-body';
import { renderFinalReport, type CleanupOutcome } from '../reporting/report/final';
import type { Redact } from '../security/redact';
import type { GoalStore } from '../store/types';
import { gitIn } from './git';
import { createGitHubClient, GitHubClientUnavailableError, type GitHubConfig } from './github';
import { milestoneLog, type MilestoneLogEntry } from './milestone';
import { redactCredentials } from './push';

/** Failure types of syncPullRequest. */
export const PULL_REQUEST_FAILURE = {
  /** GitHub's rate limit: retried after GitHub's wait (permanent when the wait is longer than a goal should stall). */
  rateLimited: 'GitHubRateLimited',
  /** GitHub did not answer, or answered 5xx: retried. */
  unavailable: 'GitHubUnavailable',
  /** The token was refused (401). */
  unauthorized: 'GitHubUnauthorized',
  /** The token may not write pull requests to the repository (403 without a rate limit). */
  forbidden: 'GitHubForbidden',
  /** The repository does not exist, or the token cannot see it (404). */
  repositoryNotFound: 'GitHubRepositoryNotFound',
  /** GitHub refused the request as invalid (422: e.g. the base branch does not exist), or a GraphQL error. */
  refused: 'GitHubRequestRefused',
  /** Neither git.repo nor the remote's URL names a GitHub repository. */
  repositoryUnknown: 'GitHubRepositoryUnknown',
  /** @octokit/rest cannot be loaded on this Node version. */
  clientUnavailable: 'GitHubClientUnavailable',
} as const;

/** The longest rate-limit wait a progress sync waits out; a longer one fails, and the next milestone catches up. */
export const MAX_PROGRESS_WAIT_MS = 60_000;
/** The longest rate-limit wait the final sync (the report, ready for review) waits out. */
export const MAX_FINAL_WAIT_MS = 10 * 60_000;
/** A secondary rate limit without `retry-after`: GitHub asks to wait at least a minute. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

const MARK_READY = `mutation ($id: ID!) {
  markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } }
}`;

export interface PullRequestDeps {
  /** The worker's GitHub access (GITHUB_TOKEN, GITHUB_API_URL); null: no pull requests from this worker. */
  readonly github: GitHubConfig | null;
  /** The goal store: the measurement ledger the summary and the report are rendered from. */
  readonly store: GoalStore;
  /** Masks the worker's secrets in the description (model text could quote one). */
  readonly redact: Redact;
}

export interface SyncPullRequestInput {
  readonly goalId: string;
  /** The status snapshot: workspace, goal branch, start commit, status and reason. */
  readonly view: GoalStatusView;
  /** The remote the goal branch was pushed to (git.remote): a name, a URL or a path. */
  readonly remote: string;
  /** git.repo (`owner/name`); absent: read from the remote's URL. */
  readonly repo?: string;
  /** git.prBase; absent: the repository's default branch. */
  readonly base?: string;
  /**
   * Set at the end of the goal: the description becomes the final report (rendered from these, as REPORT.md is) and
   * an achieved goal's pull request is marked ready for review; other endings leave it a draft.
   */
  readonly final?: {
    readonly reflection: string | null;
    readonly cleanup: CleanupOutcome | null;
    readonly tokens?: { readonly input: number; readonly output: number };
  };
}

export type SyncPullRequestResult =
  /** This worker has no GitHub access: why, and how to give it. */
  | { readonly off: string }
  | {
      readonly number: number;
      readonly url: string;
      readonly draft: boolean;
      /** `closed` also for a merged pull request: its description is still updated, nothing else. */
      readonly state: 'open' | 'closed';
      /** Whether this call created it (false: found by its head branch). */
      readonly created: boolean;
    };

interface PullRequest {
  readonly number: number;
  readonly node_id: string;
  readonly html_url: string;
  readonly state: string;
  readonly draft?: boolean | undefined;
  readonly body?: string | null;
}

export async function syncPullRequest(
  deps: PullRequestDeps,
  input: SyncPullRequestInput,
): Promise<SyncPullRequestResult> {
  if (!deps.github) {
    return {
      off: 'GITHUB_TOKEN is not set on the worker: set it to a token that may write pull requests (or a GitHub App installation token), or remove git.pr',
    };
  }
  const { view } = input;
  const branch = view.milestones.branch;
  const slug = await repositoryOf(input);
  const where = `${slug.owner}/${slug.repo}`;
  const body = deps.redact(await bodyOf(deps.store, input));
  let gh: Octokit;
  try {
    gh = await createGitHubClient(deps.github, Context.current().cancellationSignal);
  } catch (err) {
    if (err instanceof GitHubClientUnavailableError) {
      throw ApplicationFailure.create({
        type: PULL_REQUEST_FAILURE.clientUnavailable,
        message: err.message,
        nonRetryable: true,
      });
    }
    throw err;
  }
  try {
    let pr = await findByHead(gh, slug, branch);
    let created = false;
    if (!pr) {
      const base = input.base ?? (await gh.rest.repos.get({ ...slug })).data.default_branch;
      try {
        pr = (
          await gh.rest.pulls.create({ ...slug, head: branch, base, title: titleOf(view.objective), body, draft: true })
        ).data;
        created = true;
      } catch (err) {
        // Someone (or an earlier attempt whose answer was lost) opened it meanwhile: use that one.
        if (!alreadyExists(err)) throw err;
        pr = await findByHead(gh, slug, branch);
        if (!pr) throw err;
      }
    }
    if (!created && pr.body !== body) pr = (await gh.rest.pulls.update({ ...slug, pull_number: pr.number, body })).data;
    const state = pr.state === 'open' ? 'open' : 'closed';
    let draft = pr.draft === true;
    if (input.final && view.status === 'achieved' && draft && state === 'open') {
      await gh.graphql(MARK_READY, { id: pr.node_id });
      draft = false;
    }
    return { number: pr.number, url: pr.html_url, draft, state, created };
  } catch (err) {
    throw githubFailure(err, where, deps.redact, input.final !== undefined);
  }
}

/** The goal branch's pull request (any state; an open one first), or null. */
async function findByHead(gh: Octokit, slug: RepoSlug, branch: string): Promise<PullRequest | null> {
  const { data } = await gh.rest.pulls.list({ ...slug, head: `${slug.owner}:${branch}`, state: 'all', per_page: 100 });
  return data.find((p) => p.state === 'open') ?? data[0] ?? null;
}

function alreadyExists(err: unknown): boolean {
  return statusOf(err) === 422 && /pull request already exists/i.test((err as Error).message);
}

/** The description: the final report at the end, the progress summary before. */
async function bodyOf(store: GoalStore, input: SyncPullRequestInput): Promise<string> {
  const { view } = input;
  const ledger = await store.readLedger(input.goalId);
  if (input.final) {
    const report = renderFinalReport(
      {
        goalId: input.goalId,
        view,
        reflection: input.final.reflection,
        cleanup: input.final.cleanup,
        ...(input.final.tokens ? { tokens: input.final.tokens } : {}),
        hideHoldoutNames: true,
      },
      ledger,
    );
    return renderFinalBody(input.goalId, view.status, view.reason, report.markdown);
  }
  const doc = withoutHoldoutNames(buildProgressDoc(view, ledger, new Date().toISOString()));
  return renderProgressBody({ doc, milestones: await milestonesOf(view) });
}

async function milestonesOf(view: GoalStatusView): Promise<MilestoneLogEntry[]> {
  if (!view.startCommit) return [];
  try {
    return await milestoneLog(view.workspace, view.milestones.branch, view.startCommit);
  } catch {
    return []; // the summary goes without its milestone list rather than not at all
  }
}

function titleOf(objective: string): string {
  const line = objective.split(/\r?\n/, 1)[0]!.trim();
  return `Longhaul: ${line.length > 100 ? `${line.slice(0, 99)}…` : line}`;
}

/** git.repo, or the repository the remote's URL names (a remote name is looked up in the workspace). */
async function repositoryOf(input: SyncPullRequestInput): Promise<RepoSlug> {
  const unknown = (why: string) =>
    ApplicationFailure.create({
      type: PULL_REQUEST_FAILURE.repositoryUnknown,
      message: `${why}: set git.repo: owner/name in the spec (longhaul edit cannot change git; start the goal again)`,
      nonRetryable: true,
    });
  if (input.repo) {
    const slug = parseRepoSlug(input.repo);
    if (!slug) throw unknown(`git.repo ${JSON.stringify(input.repo)} is not owner/name`);
    return slug;
  }
  const { remote } = input;
  let url = remote;
  if (!isRemoteUrl(remote) && !isLocalPath(remote)) {
    if (remote.startsWith('-')) throw unknown(`the remote "${remote}" is no remote name`);
    try {
      url = (await gitIn(input.view.workspace, ['remote', 'get-url', remote])).trim();
    } catch {
      throw unknown(`the workspace has no remote named "${remote}" to read the GitHub repository from`);
    }
  }
  const slug = repoFromRemoteUrl(url);
  if (!slug) throw unknown(`the remote ${redactCredentials(url)} names no GitHub repository (owner/name)`);
  return slug;
}

function statusOf(err: unknown): number | null {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : null;
}

function headersOf(err: unknown): Record<string, string | number | undefined> {
  return (err as { response?: { headers?: Record<string, string | number | undefined> } }).response?.headers ?? {};
}

/**
 * How long GitHub asks to wait: `retry-after` seconds, else until `x-ratelimit-reset` when no requests remain; a 429
 * without either waits a minute. null when the response is no rate limit.
 */
export function rateLimitWaitMs(
  status: number,
  headers: Readonly<Record<string, string | number | undefined>>,
  now: number,
): number | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return Math.max(1000, retryAfter * 1000);
  const reset = Number(headers['x-ratelimit-reset']);
  if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset)) {
    return Math.max(1000, reset * 1000 - now);
  }
  return status === 429 ? DEFAULT_RATE_LIMIT_WAIT_MS : null;
}

/** An Octokit error as the failure Temporal acts on: retried (after GitHub's wait) or permanent, saying what to fix. */
function githubFailure(err: unknown, where: string, redact: Redact, final: boolean): Error {
  if (err instanceof ApplicationFailure) return err;
  const said = redact(oneLine(err instanceof Error ? err.message : String(err)));
  const fail = (type: string, message: string, nonRetryable: boolean, nextRetryDelay?: number) =>
    ApplicationFailure.create({ type, message, nonRetryable, ...(nextRetryDelay ? { nextRetryDelay } : {}) });
  const status = statusOf(err);
  if ((err as Error | null)?.name === 'GraphqlResponseError') {
    const types = ((err as { errors?: { type?: string }[] }).errors ?? []).map((e) => e.type);
    if (types.includes('RATE_LIMITED')) {
      return fail(
        PULL_REQUEST_FAILURE.rateLimited,
        `GitHub's GraphQL rate limit: ${said}`,
        false,
        DEFAULT_RATE_LIMIT_WAIT_MS,
      );
    }
    return fail(
      PULL_REQUEST_FAILURE.refused,
      `GitHub refused to mark the pull request ready in ${where}: ${said}`,
      true,
    );
  }
  if (status === null || status >= 500) {
    return fail(PULL_REQUEST_FAILURE.unavailable, `GitHub (${where}) did not answer: ${said}`, false);
  }
  const wait = rateLimitWaitMs(status, headersOf(err), Date.now());
  if (wait !== null) {
    if (wait <= (final ? MAX_FINAL_WAIT_MS : MAX_PROGRESS_WAIT_MS)) {
      const s = Math.ceil(wait / 1000);
      return fail(PULL_REQUEST_FAILURE.rateLimited, `GitHub's rate limit: retrying in ${s} s`, false, wait);
    }
    const until = new Date(Date.now() + wait).toISOString();
    return fail(
      PULL_REQUEST_FAILURE.rateLimited,
      final
        ? `GitHub's rate limit holds until ${until}: the pull request keeps its last description (the final report is REPORT.md on the goal branch)`
        : `GitHub's rate limit holds until ${until}: the pull request is brought up to date at the next milestone`,
      true,
    );
  }
  if (status === 401) {
    return fail(
      PULL_REQUEST_FAILURE.unauthorized,
      `GitHub refused GITHUB_TOKEN (401 ${said}): it is invalid or expired; set a new one on the worker`,
      true,
    );
  }
  if (status === 403) {
    return fail(
      PULL_REQUEST_FAILURE.forbidden,
      `GITHUB_TOKEN may not write pull requests to ${where} (403 ${said}): give it "Pull requests: read and write" (fine-grained token or GitHub App) or the repo scope (classic token)`,
      true,
    );
  }
  if (status === 404) {
    return fail(
      PULL_REQUEST_FAILURE.repositoryNotFound,
      `${where} was not found, or GITHUB_TOKEN cannot see it (404): check git.repo or the remote's URL, GITHUB_API_URL for GitHub Enterprise, and the token's repository access`,
      true,
    );
  }
  return fail(
    PULL_REQUEST_FAILURE.refused,
    `GitHub refused the pull request in ${where} (${status} ${said}): check git.prBase names a branch of the repository`,
    true,
  );
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
