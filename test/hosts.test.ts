/**
 * Several workers, one goal's workspace on one host: two worker processes on one dev server, hosts "alpha" and
 * "beta". The goal's activities run on alpha's queue; alpha is SIGKILLed; `status` says the goal waits for its host;
 * `longhaul move --to beta` re-clones the goal branch there from the remote, and the goal completes on beta.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { startGoal } from '../client/goals';
import { statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import type { GoalStatusView } from '../goal/status';
import { Client } from 'pg';
import { FakeSlack } from './fakes/slack-server';
import { runCli } from './helpers/cli';
import { NO_FINISHING } from './helpers/finishing';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, waitFor, WORKER_MAIN, type WorkerProcess } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';

const suite = useServerAndFake();
const workers: WorkerProcess[] = [];
beforeAll(() => {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
});
const fakes: FakeSlack[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  }
});

/** A worker process on host `host` (LONGHAUL_HOST), with the suite's server and fake model. */
function startHost(taskQueue: string, home: string, host: string, env: Record<string, string> = {}): WorkerProcess {
  const w = startWorkerProcess({
    address: suite.env.address,
    taskQueue,
    home,
    openaiBaseUrl: suite.fake.url,
    env: { LONGHAUL_HOST: host, ...env },
  });
  workers.push(w);
  return w;
}

/**
 * The goal store the two hosts share. With LONGHAUL_TEST_STORE_URL: PostgreSQL in a schema of this run, each host
 * with a home of its own (progress pages, pid records and worktrees stay local, as on two machines). Without: one
 * LONGHAUL_HOME for both.
 */
function sharedStore(): { home: string; homeOf: (host: string) => string; env: Record<string, string> } {
  const url = process.env.LONGHAUL_TEST_STORE_URL;
  const home = tempDir('longhaul-home-');
  if (!url) return { home, homeOf: () => home, env: {} };
  const schema = `longhaul_hosts_${process.pid}_${Date.now()}`;
  schemas.push(schema);
  return {
    home,
    homeOf: (host) => `${home}/${host}`,
    env: { LONGHAUL_STORE_URL: url, LONGHAUL_STORE_SCHEMA: schema },
  };
}
const schemas: string[] = [];
afterAll(async () => {
  const url = process.env.LONGHAUL_TEST_STORE_URL;
  if (!url || schemas.length === 0) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** The goal both tests run: the score of a scoreWorkspace to 100, milestones pushed to `remote`. */
function scoreGoal(workspace: string, remote: string) {
  return parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Raise the score to 100',
    workspace,
    metrics: [scoreMetric(100)],
    git: { remote },
  });
}

/** Polls the goal's status until `predicate` holds. */
async function statusWhen(
  handle: { query: (q: typeof statusQuery) => Promise<GoalStatusView> },
  predicate: (s: GoalStatusView) => boolean,
  what: string,
): Promise<GoalStatusView> {
  for (const deadline = Date.now() + 60_000; ;) {
    const s = await handle.query(statusQuery);
    if (predicate(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.host)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Each scheduled activity of the goal, in order: its type and the task queue it was sent to. */
function scheduledActivities(events: readonly HistoryEvent[]): { type: string; queue: string }[] {
  return events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      type: e.activityTaskScheduledEventAttributes!.activityType!.name!,
      queue: e.activityTaskScheduledEventAttributes!.taskQueue!.name!,
    }));
}

test("a goal's activities run on its host's queue; when that worker dies the goal waits for it, and `move` completes it on another host", async () => {
  const taskQueue = `hosts-${process.pid}`;
  // Each host its own LONGHAUL_HOME (its own disk); the goal store shared: PostgreSQL when the tests have one
  // (LONGHAUL_TEST_STORE_URL, as CI does), else one folder both workers see.
  const shared = sharedStore();
  const home = shared.home;
  const remote = tempDir('longhaul-remote-');
  execFileSync('git', ['init', '-q', '--bare', remote]);
  const ws = scoreWorkspace(0);
  const movedTo = path.join(tempDir('longhaul-beta-'), 'workspace'); // beta's own disk: the path does not exist yet

  let alpha: WorkerProcess | null = null;
  suite.fake.setScript((_req, index) => {
    if (index === 0) return writeScore(40); // on alpha: a new best, a milestone, pushed to the remote
    if (index === 1) {
      alpha!.child.kill('SIGKILL'); // alpha dies while its model call is in flight
      return writeScore(41);
    }
    return writeScore(100); // on beta, after the move
  });
  const slack = await FakeSlack.start();
  fakes.push(slack);
  const slackEnv = { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#longhaul', SLACK_API_URL: slack.url };
  alpha = startHost(taskQueue, shared.homeOf('alpha'), 'alpha', { ...slackEnv, ...shared.env });
  const beta = startHost(taskQueue, shared.homeOf('beta'), 'beta', { ...slackEnv, ...shared.env });
  await waitFor(
    () => alpha.output().includes('polling task queue') && beta.output().includes('polling task queue'),
    60_000,
    `both workers to start\n${alpha.output()}\n${beta.output()}`,
  );
  expect(alpha.output()).toContain(`host alpha (queue "${taskQueue}@alpha")`);

  const handle = await startGoal(suite.env.client, scoreGoal(ws, remote), {
    taskQueue,
    goalId: 'moves-host',
    host: 'alpha',
    tuning: { heartbeatTimeoutSeconds: 2, hostWaitSeconds: 4 },
  });
  const env = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: taskQueue, LONGHAUL_HOME: home };

  // alpha is gone: the goal says it waits for its host, in status and as needs-attention.
  expect(await alpha.exited).toBe('SIGKILL');
  for (const deadline = Date.now() + 60_000; !(await handle.query(statusQuery)).host.lostSince;) {
    if (Date.now() > deadline) throw new Error(`the goal did not notice that alpha is gone\n${beta.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const status = await runCli(['status', 'moves-host'], env);
  expect(status.stdout).toMatch(/on host alpha, WAITING FOR HOST since /);
  expect(status.stdout).toMatch(/NEEDS ATTENTION .*waiting for host "alpha".*longhaul move moves-host --to <host>/);
  const json = JSON.parse((await runCli(['status', 'moves-host', '--json'], env)).stdout) as GoalStatusView;
  expect(json.host).toMatchObject({ name: 'alpha', moving: null, moves: 0 });
  expect(json.milestones.count).toBe(1);

  // Refused: a host that is not a host name, and a move to where the goal already is.
  const bad = await runCli(['move', 'moves-host', '--to', 'not a host'], env);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('is not a host name');
  const same = await runCli(['move', 'moves-host', '--to', 'alpha'], env);
  expect(same.code).not.toBe(0);
  expect(same.stderr).toContain('already on "alpha"');

  const moved = await runCli(['move', 'moves-host', '--to', 'beta', '--workspace', movedTo, '--remote', remote], env);
  expect(moved.stderr).toBe(`moving moves-host to host beta: cloning its goal branch there…\n`);
  expect(moved.code).toBe(0);
  expect(moved.stdout).toMatch(/moved from host "alpha" to "beta": .* re-cloned from .* at [0-9a-f]{10}/);

  const outcome = await handle.result();
  expect(outcome.status).toBe('achieved');
  expect(readFileSync(path.join(movedTo, 'score.txt'), 'utf8')).toBe('100\n'); // finished in beta's clone
  expect(readFileSync(path.join(ws, 'score.txt'), 'utf8')).toBe('40\n'); // alpha's workspace as alpha left it
  const final = await handle.query(statusQuery);
  expect(final.workspace).toBe(movedTo);
  expect(final.host).toMatchObject({ name: 'beta', lostSince: null, moves: 1 });
  expect(final.events.map((e) => e.text).join('\n')).toContain('moved from host "alpha" to "beta"');
  // Slack heard it all from beta (Slack goes through the shared queue): the wait, then the move.
  const said = slack.messages('#longhaul').map((m) => m.text);
  expect(said.some((t) => /needs attention: waiting for host "alpha"/.test(t))).toBe(true);
  expect(said.some((t) => /moved from host "alpha" to "beta"/.test(t))).toBe(true);
  // The final milestone is on the remote's goal branch, made on beta on top of alpha's.
  const log = execFileSync('git', ['log', '--format=%H', 'longhaul/moves-host'], { cwd: remote, encoding: 'utf8' });
  expect(log.trim().split('\n')[0]).toBe(final.milestones.last);

  // From the history: every activity of the goal ran on its host's queue, alpha's until the move, beta's after;
  // only Slack goes to the shared queue, so any worker posts for any goal.
  const { events } = await handle.fetchHistory();
  const all = scheduledActivities(events ?? []);
  const slackCalls = all.filter((a) => a.type === 'updateSlack');
  expect(slackCalls.length).toBeGreaterThan(0);
  expect(slackCalls.every((a) => a.queue === taskQueue)).toBe(true);
  const scheduled = all.filter((a) => a.type !== 'updateSlack');
  const clone = scheduled.findIndex((a) => a.type === 'cloneGoalBranch');
  expect(clone).toBeGreaterThan(0);
  expect(scheduled.slice(0, clone).every((a) => a.queue === `${taskQueue}@alpha`)).toBe(true);
  expect(scheduled.slice(clone).every((a) => a.queue === `${taskQueue}@beta`)).toBe(true);
  expect(scheduled.slice(0, clone).map((a) => a.type)).toEqual(
    expect.arrayContaining(['prepareWorkspace', 'measureMetric', 'modelTurn', 'executeTool', 'commitMilestone']),
  );
  expect(scheduled.slice(clone + 1).map((a) => a.type)).toEqual(
    expect.arrayContaining(['modelTurn', 'executeTool', 'measureMetric', 'commitFinalReport', 'pushGoalBranch']),
  );
  expect(scheduled.filter((a) => a.type === 'hostAlive').every((a) => a.queue === `${taskQueue}@alpha`)).toBe(true);
  // The workflow itself ran on the shared queue.
  const started = events![0]!.workflowExecutionStartedEventAttributes!;
  expect(started.taskQueue!.name).toBe(taskQueue);
}, 240_000);

test('a goal whose host comes back continues there; a move to a host without a worker, or from a remote name, is refused and the goal keeps waiting', async () => {
  const taskQueue = `hosts-back-${process.pid}`;
  const home = tempDir('longhaul-home-');
  const ws = scoreWorkspace(0);
  let alpha: WorkerProcess | null = null;
  suite.fake.setScript((_req, index) => {
    if (index === 0) {
      alpha!.child.kill('SIGKILL');
      return writeScore(1);
    }
    return writeScore(100);
  });
  alpha = startHost(taskQueue, home, 'alpha');
  const handle = await startGoal(suite.env.client, scoreGoal(ws, 'origin'), {
    taskQueue,
    goalId: 'host-back',
    host: 'alpha',
    tuning: { heartbeatTimeoutSeconds: 2, hostWaitSeconds: 3 },
  });
  const env = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: taskQueue, LONGHAUL_HOME: home };
  expect(await alpha.exited).toBe('SIGKILL');
  // Workflow tasks need a worker: one on another host takes them, and keeps no workspace of this goal.
  const other = startHost(taskQueue, home, 'beta');
  await statusWhen(handle, (s) => s.host.lostSince !== null, 'the goal to notice that alpha is gone');

  // "origin" means something only on alpha: the move says to give a URL, and nothing changes.
  const named = await runCli(['move', 'host-back', '--to', 'beta'], env);
  expect(named.code).not.toBe(0);
  expect(named.stderr).toContain('"origin" is a remote\'s name, which only the lost host knows');
  // gamma has no worker: the clone is not taken within hostWaitSeconds; the goal keeps waiting for alpha.
  const remote = tempDir('longhaul-remote-');
  const nobody = await runCli(['move', 'host-back', '--to', 'gamma', '--remote', remote], env);
  expect(nobody.code).not.toBe(0);
  expect(nobody.stderr).toContain('no worker of host "gamma" took the work within 3 s');
  const after = await handle.query(statusQuery);
  expect(after.host).toMatchObject({ name: 'alpha', moving: null, moves: 0, lastMove: { host: 'gamma', ok: false } });
  expect(after.host.lostSince).not.toBeNull();
  expect(after.attention?.text).toContain('moving to host "gamma" failed');

  // alpha restarts: the ping on its queue is answered, and the goal carries on there.
  alpha = startHost(taskQueue, home, 'alpha');
  const outcome = await handle.result();
  expect(outcome.status).toBe('achieved');
  const final = await handle.query(statusQuery);
  expect(final.host).toMatchObject({ name: 'alpha', lostSince: null, moves: 0 });
  expect(final.workspace).toBe(ws);
  expect(final.events.map((e) => e.text).join('\n')).toContain('host "alpha" is back; the goal continues');
  expect(readFileSync(path.join(ws, 'score.txt'), 'utf8')).toBe('100\n');
  const { events } = await handle.fetchHistory();
  const scheduled = scheduledActivities(events ?? []).filter((a) => a.type !== 'updateSlack');
  expect(scheduled.filter((a) => a.type === 'cloneGoalBranch').map((a) => a.queue)).toEqual([`${taskQueue}@gamma`]);
  expect(scheduled.filter((a) => a.type !== 'cloneGoalBranch').every((a) => a.queue === `${taskQueue}@alpha`)).toBe(
    true,
  );
  other.child.kill('SIGTERM');
}, 240_000);
