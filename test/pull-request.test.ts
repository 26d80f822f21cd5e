import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileGoalStore } from '../activities/store/files';
import { isCredentialName } from '../activities/security/command-env';
import { createRedactor } from '../activities/security/redact';
import { githubConfigFromEnv } from '../activities/workspace/github';
import { commitMilestone } from '../activities/workspace/milestone';
import { pushGoalBranch } from '../activities/workspace/push';
import {
  PULL_REQUEST_FAILURE,
  syncPullRequest,
  type SyncPullRequestInput,
  type SyncPullRequestResult,
} from '../activities/workspace/pull-request';
import { formatStatus } from '../client/format';
import { startGoal } from '../client/goals';
import { parseRepoSlug, repoFromRemoteUrl } from '../goal/github-repo';
import { statusQuery } from '../goal/messages';
import { GoalRun } from '../goal/run';
import { InvalidSpecError, parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { loadWorkerConfig } from '../worker/config';
import { FAKE_GITHUB_TOKEN, FakeGitHub } from './fakes/github-server';
import { deferred } from './helpers/deferred';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, WORKER_MAIN } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, tempDir as makeTempDir, writeScore } from './helpers/workspace';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
const MIN = 60_000;
const HELD_OUT = 'secret-cases-hidden';

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  tempDirs.push(dir);
  return dir;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function bareRepository(): string {
  const dir = tempDir('longhaul-remote-');
  git(dir, 'init', '-q', '--bare');
  return dir;
}

/** The remote whose branches the fake GitHub serves (GitHub refuses a pull request whose head is not pushed). */
let remote = '';
function onRemote(branch: string): boolean {
  try {
    git(remote, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`);
    return true;
  } catch {
    return false;
  }
}

let github: FakeGitHub;
const suite = useServerAndFake();
beforeAll(async () => {
  github = await FakeGitHub.start({ branchExists: onRemote });
});
afterAll(async () => {
  await github?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  github.reset();
  remote = bareRepository();
});

const config = () => ({ token: FAKE_GITHUB_TOKEN, apiUrl: github.apiUrl });

/** A goal whose branch has one milestone pushed to `remote`: its run (baseline recorded) and workspace. */
async function pushedGoal(goalId: string): Promise<{ run: GoalRun; ws: string; start: string }> {
  const ws = scoreWorkspace(1);
  tempDirs.push(ws);
  const start = git(ws, 'rev-parse', 'HEAD').trim();
  const spec = parseGoalSpec({
    objective: 'Raise the score to 5\nwithout breaking anything',
    workspace: ws,
    metrics: [scoreMetric(5)],
    holdout: [{ name: HELD_OUT, command: 'true' }],
    git: { remote, pr: true, repo: 'acme/app' },
  });
  const run = GoalRun.create(goalId, spec, T0);
  run.setStartCommit(start);
  run.recordBaseline([{ name: 'score', value: 1, samples: 1, durationMs: 5 }], [], 'fp0', T0 + MIN);
  await milestoneOn(run, ws, start, 2, T0 + 2 * MIN);
  return { run, ws, start };
}

/** Writes the score, commits it as a milestone and pushes the goal branch. */
async function milestoneOn(run: GoalRun, ws: string, start: string, score: number, now: number): Promise<void> {
  writeFileSync(path.join(ws, 'score.txt'), `${score}\n`);
  const branch = run.state.milestones.branch;
  const m = await commitMilestone({ workspace: ws, branch, startCommit: start, message: `new best: score ${score}` });
  run.recordMilestone(m.commit!, `new best: score ${score}`, now);
  expect(await pushGoalBranch({ workspace: ws, remote, branch })).toMatchObject({ pushed: true });
}

function inputOf(run: GoalRun, now: number, final = false): SyncPullRequestInput {
  return {
    goalId: run.state.goalId,
    view: run.view(now),
    remote,
    repo: 'acme/app',
    ...(final ? { final: { reflection: null, cleanup: null } } : {}),
  };
}

function sync(input: SyncPullRequestInput, token = FAKE_GITHUB_TOKEN): Promise<SyncPullRequestResult> {
  const store = new FileGoalStore(tempDir('longhaul-home-'));
  const deps = { github: { ...config(), token }, store, redact: createRedactor([token]) };
  return new MockActivityEnvironment().run(syncPullRequest, deps, input);
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('the pull request activity, with the real Octokit client against a GitHub Enterprise fake', () => {
  test('opens one draft pull request from the pushed goal branch, then rewrites its description in place', async () => {
    const { run, ws, start } = await pushedGoal('pr-open');
    const first = await sync(inputOf(run, T0 + 3 * MIN));
    expect(first).toMatchObject({ number: 1, draft: true, state: 'open', created: true });
    expect(github.pulls).toHaveLength(1);
    const pr = github.pulls[0]!;
    expect(pr).toMatchObject({
      head: 'longhaul/pr-open',
      base: 'main',
      draft: true,
      title: 'Longhaul: Raise the score to 5',
    });
    // The live summary: status, criteria, the metric's measurements as a table, the last milestones.
    expect(pr.body).toContain('**RUNNING');
    expect(pr.body).toContain('### Criteria');
    expect(pr.body).toMatch(/\| metric score \| 1 \|/);
    expect(pr.body).toContain('new best: score 2');
    // Held-out checks are not named where anyone with access to the repository reads them.
    expect(pr.body).not.toContain(HELD_OUT);
    // REST under /api/v3, with the token in the Authorization header only.
    expect(github.calls.map((c) => `${c.method} ${c.path.replace(/\?.*/, '')}`)).toEqual([
      'GET /api/v3/repos/acme/app/pulls',
      'GET /api/v3/repos/acme/app',
      'POST /api/v3/repos/acme/app/pulls',
    ]);
    expect(github.calls[0]!.path).toContain('head=acme%3Alonghaul%2Fpr-open');
    expect(github.calls[0]!.path).toContain('state=all');
    expect(new Set(github.calls.map((c) => c.authorization))).toEqual(new Set([`token ${FAKE_GITHUB_TOKEN}`]));

    await milestoneOn(run, ws, start, 3, T0 + 4 * MIN);
    const second = await sync(inputOf(run, T0 + 5 * MIN));
    expect(second).toMatchObject({ number: 1, draft: true, created: false });
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]!.body).toContain('new best: score 3');
    expect(github.calls.at(-1)).toMatchObject({ method: 'PATCH', path: '/api/v3/repos/acme/app/pulls/1' });
  });

  test('a 422 "A pull request already exists" (opened meanwhile, not yet listed) updates that one', async () => {
    const { run } = await pushedGoal('pr-race');
    await sync(inputOf(run, T0 + 3 * MIN));
    github.pulls[0]!.body = 'stale';
    github.fail('listPulls', { staleEmptyList: true });
    const r = await sync(inputOf(run, T0 + 4 * MIN));
    expect(r).toMatchObject({ number: 1, created: false });
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]!.body).toContain('### Criteria');
    const routes = github.calls.map((c) => c.route);
    expect(routes.slice(3)).toEqual(['listPulls', 'repo', 'createPull', 'listPulls', 'updatePull']);
  });

  test("rate limits: a 403 with retry-after is retried after GitHub's wait; a far-off reset and other refusals are permanent", async () => {
    const { run } = await pushedGoal('pr-limits');
    const input = inputOf(run, T0 + 3 * MIN);

    github.fail('createPull', { secondaryRateLimit: 7 });
    const secondary = await failureOf(sync(input));
    expect(secondary).toMatchObject({
      type: PULL_REQUEST_FAILURE.rateLimited,
      nonRetryable: false,
      nextRetryDelay: 7000,
    });

    const soon = Math.floor(Date.now() / 1000) + 30;
    github.fail('listPulls', { primaryRateLimitReset: soon });
    const primary = await failureOf(sync(input));
    expect(primary.nonRetryable).toBe(false);
    expect(Number(primary.nextRetryDelay)).toBeGreaterThan(25_000);
    expect(Number(primary.nextRetryDelay)).toBeLessThanOrEqual(31_000);

    // Five minutes: too long to hold the running goal at a milestone (the next one catches up), not at the end.
    const later = Math.floor(Date.now() / 1000) + 300;
    github.fail('listPulls', { primaryRateLimitReset: later }, { primaryRateLimitReset: later });
    const far = await failureOf(sync(input));
    expect(far).toMatchObject({ type: PULL_REQUEST_FAILURE.rateLimited, nonRetryable: true });
    expect(far.message).toMatch(/holds until .*brought up to date at the next milestone/);
    const atTheEnd = await failureOf(sync({ ...input, final: { reflection: null, cleanup: null } }));
    expect(atTheEnd.nonRetryable).toBe(false);
    expect(Number(atTheEnd.nextRetryDelay)).toBeGreaterThan(290_000);
    github.fail('listPulls', { primaryRateLimitReset: Math.floor(Date.now() / 1000) + 3600 });
    const final = await failureOf(sync({ ...input, final: { reflection: null, cleanup: null } }));
    expect(final).toMatchObject({ type: PULL_REQUEST_FAILURE.rateLimited, nonRetryable: true });
    expect(final.message).toContain('keeps its last description');

    github.fail('createPull', { status: 403, message: 'Resource not accessible by personal access token' });
    const forbidden = await failureOf(sync(input));
    expect(forbidden).toMatchObject({ type: PULL_REQUEST_FAILURE.forbidden, nonRetryable: true });
    expect(forbidden.message).toContain('Pull requests: read and write');

    const wrongToken = 'ghp_wrongToken0123456789abcdefghij';
    const unauthorized = await failureOf(sync(input, wrongToken));
    expect(unauthorized).toMatchObject({ type: PULL_REQUEST_FAILURE.unauthorized, nonRetryable: true });

    github.fail('listPulls', { status: 502 });
    expect(await failureOf(sync(input))).toMatchObject({ type: PULL_REQUEST_FAILURE.unavailable, nonRetryable: false });

    const other = await failureOf(sync({ ...input, repo: 'acme/other' }));
    expect(other).toMatchObject({ type: PULL_REQUEST_FAILURE.repositoryNotFound, nonRetryable: true });

    for (const f of [secondary, primary, far, atTheEnd, final, forbidden, unauthorized, other]) {
      expect(f.message).not.toContain(FAKE_GITHUB_TOKEN);
      expect(f.message).not.toContain(wrongToken);
    }
    expect(github.pulls).toHaveLength(0); // nothing was opened by a failed call
    expect(await sync(input)).toMatchObject({ number: 1, created: true });
  });

  test('achieved: marked ready for review through GraphQL, the description the final report', async () => {
    const { run } = await pushedGoal('pr-achieved');
    await sync(inputOf(run, T0 + 3 * MIN));
    run.finish('achieved', 'verified by the orchestrator after turn 2', T0 + 4 * MIN);
    const r = await sync(inputOf(run, T0 + 4 * MIN, true));
    expect(r).toMatchObject({ number: 1, draft: false, state: 'open', created: false });
    const pr = github.pulls[0]!;
    expect(pr.draft).toBe(false);
    expect(pr.body).toContain(
      '**Goal achieved**, verified by the orchestrator: verified by the orchestrator after turn 2',
    );
    expect(pr.body).toContain('# Final report: goal pr-achieved');
    expect(pr.body).not.toContain(HELD_OUT);
    // PATCH cannot un-draft: the GraphQL mutation did, at Enterprise's /api/graphql.
    const mutation = github.calls.find((c) => c.route === 'graphql')!;
    expect(mutation.path).toBe('/api/graphql');
    expect(JSON.stringify(mutation.body)).toContain('markPullRequestReadyForReview');
    expect(mutation.body).toMatchObject({ variables: { id: 'PR_kwFake1' } });
  });

  test('other endings leave it a draft, the reason at the top of the final report', async () => {
    const { run } = await pushedGoal('pr-budget');
    await sync(inputOf(run, T0 + 3 * MIN));
    run.finish('budget_exhausted', 'the turn budget (2) is spent', T0 + 4 * MIN);
    expect(await sync(inputOf(run, T0 + 4 * MIN, true))).toMatchObject({ number: 1, draft: true });
    expect(github.pulls[0]!.draft).toBe(true);
    expect(github.pulls[0]!.body).toContain(
      '> **The goal ended budget_exhausted**: the turn budget (2) is spent. This pull request stays a draft.',
    );
    expect(github.calls.some((c) => c.route === 'graphql')).toBe(false);
  });

  test('without GITHUB_TOKEN the activity says how to set it, and calls nothing', async () => {
    const { run } = await pushedGoal('pr-off');
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const r = await new MockActivityEnvironment().run(
      syncPullRequest,
      { github: null, store, redact: createRedactor() },
      inputOf(run, T0),
    );
    expect(r).toEqual({ off: expect.stringMatching(/^GITHUB_TOKEN is not set on the worker: set it/) });
    expect(github.calls).toHaveLength(0);
  });

  test('the repository is read from a remote name in the workspace; a remote naming none is a permanent failure', async () => {
    const { run, ws } = await pushedGoal('pr-remote');
    git(ws, 'remote', 'add', 'origin', 'git@github.example:acme/app.git');
    const { repo: _repo, ...noRepo } = inputOf(run, T0);
    expect(await sync({ ...noRepo, remote: 'origin' })).toMatchObject({ number: 1, created: true });
    git(ws, 'remote', 'add', 'local', remote);
    const unknown = await failureOf(sync({ ...noRepo, remote: 'local' }));
    expect(unknown).toMatchObject({ type: PULL_REQUEST_FAILURE.repositoryUnknown, nonRetryable: true });
    expect(unknown.message).toContain('set git.repo: owner/name');
    const missing = await failureOf(sync({ ...noRepo, remote: 'upstream' }));
    expect(missing.message).toContain('no remote named "upstream"');
  });
});

describe('the spec and the worker settings', () => {
  const base = { objective: 'o', workspace: '/w', checks: [{ name: 't', command: 'true' }] } as const;
  const problems = (git: object): string[] => {
    try {
      parseGoalSpec({ ...base, checks: [...base.checks], git });
      return [];
    } catch (err) {
      return [...(err as InvalidSpecError).problems];
    }
  };

  test('git.pr needs a remote that names a GitHub repository (or git.repo), and milestones', () => {
    expect(problems({ pr: true })).toEqual([expect.stringMatching(/^git\.remote: git\.pr needs git\.remote/)]);
    expect(problems({ pr: true, remote: '/srv/git/app.git' })).toEqual([
      expect.stringMatching(/^git\.repo: git\.pr cannot tell the GitHub repository .*set git\.repo: owner\/name$/),
    ]);
    expect(problems({ pr: true, remote: 'https://x:ghp_secret123456@github.com/a/b/c' })[0]).toContain(
      'https://***@github.com',
    );
    expect(problems({ pr: true, remote: 'origin', milestones: false })).toEqual([
      expect.stringMatching(/^git\.milestones: git\.pr needs milestone commits/),
    ]);
    expect(problems({ pr: true, remote: '/srv/git/app.git', repo: 'not a slug' })).toEqual([
      expect.stringMatching(/^git\.repo: git\.repo must be a GitHub repository as owner\/name/),
    ]);
    expect(problems({ pr: true, remote: 'origin' })).toEqual([]);
    expect(problems({ pr: true, remote: 'https://github.com/acme/app.git' })).toEqual([]);
    expect(problems({ pr: true, remote: '/srv/git/app.git', repo: 'acme/app' })).toEqual([]);
  });

  test("the worker's GITHUB_TOKEN is never handed to the goal's commands, even when a spec asks", () => {
    expect(() => parseGoalSpec({ ...base, checks: [...base.checks], env: { allow: ['GITHUB_TOKEN'] } })).toThrow(
      /env\.allow\[0\]: GITHUB_TOKEN is one of the worker's own credentials/,
    );
    expect(isCredentialName('GITHUB_TOKEN')).toBe(true);
  });

  test('owner/name from https, ssh and scp-like remote URLs', () => {
    expect(repoFromRemoteUrl('https://github.com/acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
    expect(repoFromRemoteUrl('https://ghe.example.com/acme/app/')).toEqual({ owner: 'acme', repo: 'app' });
    expect(repoFromRemoteUrl('ssh://git@ghe.example.com:2222/acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
    expect(repoFromRemoteUrl('git@github.com:acme/my.app.git')).toEqual({ owner: 'acme', repo: 'my.app' });
    for (const bad of ['/srv/app.git', 'https://github.com/acme', 'https://gitlab.com/group/sub/app.git', 'origin']) {
      expect(repoFromRemoteUrl(bad)).toBeNull();
    }
    expect(parseRepoSlug('acme/..')).toBeNull();
  });

  test('GITHUB_TOKEN and GITHUB_API_URL: off without a token; a bad URL or token is refused without echoing the token', () => {
    expect(githubConfigFromEnv({})).toBeNull();
    expect(
      githubConfigFromEnv({ GITHUB_TOKEN: 't0ken-value', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }),
    ).toEqual({
      token: 't0ken-value',
      apiUrl: 'https://ghe.example.com/api/v3',
    });
    expect(() => githubConfigFromEnv({ GITHUB_TOKEN: 'x', GITHUB_API_URL: 'ghe.example.com' })).toThrow(
      /GITHUB_API_URL is not an http\(s\) URL .*https:\/\/ghe\.example\.com\/api\/v3/,
    );
    expect(() => githubConfigFromEnv({ GITHUB_TOKEN: 'ghp_ab cd' })).toThrow(
      /^GITHUB_TOKEN contains whitespace(?!.*ab cd)/,
    );
    expect(loadWorkerConfig({ OPENAI_API_KEY: 'k', GITHUB_TOKEN: 'ghp_x1' }).github).toEqual({ token: 'ghp_x1' });
  });
});

describe('goals with git.pr on a real Temporal server', () => {
  const goalSpec = (ws: string, extra: Partial<GoalSpecInput> = {}): GoalSpecInput => ({
    ...NO_FINISHING,
    objective: 'Raise the score to 5',
    workspace: ws,
    metrics: [scoreMetric(5)],
    git: { remote, pr: true, repo: 'acme/app' },
    ...extra,
  });

  test('the first milestone push opens a draft PR; a 403 rate limit on the way is waited out; achieved marks it ready', async () => {
    const h = await createHarness(suite.env, suite.fake, 'responses', { github: config() });
    const ws = scoreWorkspace(1);
    suite.fake.setScript([writeScore(2), writeScore(9)]);
    github.fail('createPull', { secondaryRateLimit: 1 });
    const { outcome, status, description } = await runGoal(h, goalSpec(ws), 'pr-goal-achieved');
    expect(outcome.status).toBe('achieved');
    expect(github.pulls).toHaveLength(1);
    const pr = github.pulls[0]!;
    expect(pr).toMatchObject({ head: 'longhaul/pr-goal-achieved', draft: false });
    expect(pr.body).toContain('**Goal achieved**');
    expect(pr.body).toContain('# Final report: goal pr-goal-achieved');
    // One create refused by the rate limit, one that opened it (at the new best, before the end).
    expect(github.calls.filter((c) => c.route === 'createPull')).toHaveLength(2);
    const creates = github.calls.filter((c) => c.route === 'createPull');
    expect(JSON.stringify(creates[1]!.body)).toContain('**RUNNING');
    expect(github.calls.filter((c) => c.route === 'graphql')).toHaveLength(1);
    const texts = status.events.map((e) => e.text).join('\n');
    expect(texts).toContain(
      'draft pull request #1 for longhaul/pr-goal-achieved: https://github.example/acme/app/pull/1',
    );
    expect(texts).toContain('pull request #1 is ready for review');
    expect(status.finalization.pullRequest).toEqual({
      number: 1,
      url: 'https://github.example/acme/app/pull/1',
      draft: false,
      error: null,
    });
    expect(formatStatus(status)).toContain('  pull request: #1 https://github.example/acme/app/pull/1');
    // The token never enters the goal's history.
    const history = await suite.env.client.workflow.getHandle(description.workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(FAKE_GITHUB_TOKEN);
  });

  test('a goal out of budget leaves its PR a draft, the reason in the description', async () => {
    const h = await createHarness(suite.env, suite.fake, 'responses', { github: config() });
    const ws = scoreWorkspace(1);
    suite.fake.setScript([writeScore(2)]);
    const { outcome } = await runGoal(h, goalSpec(ws, { budget: { maxTurns: 1 } }), 'pr-goal-budget');
    expect(outcome.status).toBe('budget_exhausted');
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]!.draft).toBe(true);
    expect(github.pulls[0]!.body).toContain('**The goal ended budget_exhausted**');
    expect(github.pulls[0]!.body).toContain('This pull request stays a draft.');
  });

  test('without GITHUB_TOKEN on the worker the goal runs on and says so once', async () => {
    const h = await createHarness(suite.env, suite.fake, 'responses', {});
    const ws = scoreWorkspace(1);
    suite.fake.setScript([writeScore(2), writeScore(3), writeScore(9)]);
    const { outcome, status } = await runGoal(h, goalSpec(ws), 'pr-goal-no-token');
    expect(outcome.status).toBe('achieved');
    const told = status.events.filter((e) => e.text.includes('pull request: GITHUB_TOKEN is not set on the worker'));
    expect(told).toHaveLength(1);
    expect(status.finalization.pullRequest).toMatchObject({
      number: null,
      error: expect.stringMatching(/^GITHUB_TOKEN/),
    });
    expect(formatStatus(status)).toContain('  pull request problem: GITHUB_TOKEN is not set on the worker');
    expect(github.calls).toHaveLength(0);
  });

  // Killed while GitHub is asked for the goal's PR (after the push, before any PR exists), or after GitHub opened it
  // but before its answer reached the worker: either way the new worker's retry ends with one PR, up to date.
  test.each([
    ['after the push, before the PR was opened', 'listPulls', 0],
    ['after GitHub opened the PR, before its answer reached the worker', 'createPull', 1],
  ] as const)('a worker SIGKILLed %s: one PR, its description up to date', async (_when, route, atKill) => {
    if (!existsSync(WORKER_MAIN))
      throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
    const ws = scoreWorkspace(1);
    const home = tempDir('longhaul-home-');
    const taskQueue = `pull-request-crash-${route}-${process.pid}`;
    suite.fake.setScript([writeScore(2), writeScore(9)]);
    github.fail(route, { landsThenHangs: true });
    const landed = deferred();
    github.onLanded = (r) => {
      if (r === route) landed.resolve();
    };
    const handle = await startGoal(suite.env.client, parseGoalSpec(goalSpec(ws)), {
      taskQueue,
      goalId: `pr-goal-crash-${route}`,
      tuning: { heartbeatTimeoutSeconds: 3 },
    });
    const workerOptions = {
      address: suite.env.address,
      taskQueue,
      home,
      openaiBaseUrl: suite.fake.url,
      env: { GITHUB_TOKEN: FAKE_GITHUB_TOKEN, GITHUB_API_URL: github.apiUrl },
    };
    const first = startWorkerProcess(workerOptions);
    await Promise.race([
      landed.promise,
      first.exited.then(() => Promise.reject(new Error(`the worker exited:\n${first.output()}`))),
    ]);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(github.pulls).toHaveLength(atKill); // with one, GitHub has it and the workflow does not know yet

    const second = startWorkerProcess(workerOptions);
    try {
      const outcome = await handle.result();
      expect(outcome.status).toBe('achieved');
      expect(github.pulls).toHaveLength(1);
      expect(github.calls.filter((c) => c.route === 'createPull')).toHaveLength(1); // found again, not opened twice
      expect(github.pulls[0]!.draft).toBe(false);
      expect(github.pulls[0]!.body).toContain(`# Final report: goal pr-goal-crash-${route}`);
      const status = await handle.query(statusQuery);
      expect(status.events.map((e) => e.text).join('\n')).toContain('pull request #1 is ready for review');
      expect(second.output()).not.toContain(FAKE_GITHUB_TOKEN);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
