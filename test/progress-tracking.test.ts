/**
 * Progress tracking end to end on a real dev server: the goal's Slack thread (one parent updated in place, each
 * significant event once, also across a worker SIGKILL, and Slack down never slowing the goal), the progress
 * document, milestone commits on the goal branch, and the Temporal UI's search attributes and activity summaries.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { milestoneLog } from '../activities/workspace/milestone';
import { startGoal } from '../client/goals';
import { locateTemporalCli } from '../client/temporal-cli';
import { pauseUpdate, resumeUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import type { GoalStatusView } from '../goal/status';
import { FakeSlack, type FakeMessage } from './fakes/slack-server';
import { deferred } from './helpers/deferred';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { startWorkerProcess, waitFor } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();
let slack: FakeSlack;
const TOKEN = 'xoxb-progress-tracking-secret';
const CHANNEL = 'C0LONGHAUL1';
beforeAll(async () => {
  slack = await FakeSlack.start({ token: TOKEN });
});
afterAll(async () => {
  await slack?.close();
});

const slackDeps = () => ({ slack: { token: TOKEN, channel: CHANNEL, apiUrl: slack.url, timeoutMs: 2_000 } });

function spec(ws: string, extra: Partial<GoalSpecInput> = {}) {
  return parseGoalSpec({
    objective: 'Raise the score to 9',
    workspace: ws,
    metrics: [scoreMetric(9)],
    ...NO_FINISHING,
    ...extra,
  });
}

/** The goal's thread: its parent (exactly one is asserted) and the replies' idempotency keys and texts. */
function thread(goalId: string): { parent: FakeMessage; keys: string[]; texts: string[] } {
  const parents = slack.parents(CHANNEL).filter((m) => m.metadata?.event_payload.goal_id === goalId);
  expect(parents).toHaveLength(1);
  const replies = slack.replies(CHANNEL, parents[0]!.ts);
  return {
    parent: parents[0]!,
    keys: replies.map((r) => String(r.metadata?.event_payload.key)),
    texts: replies.map((r) => r.text),
  };
}

const significant = (status: GoalStatusView) => status.events.filter((e) => e.kind !== undefined);

test('a goal posts one parent, updated in place, and each significant event once, in order; milestones and the progress document follow', async () => {
  const ws = scoreWorkspace(0);
  const userLog = execFileSync('git', ['log', '--format=%H %s'], { cwd: ws, encoding: 'utf8' });
  // Turns that take a few seconds, as real ones do: the status message is posted early and then updated.
  let turns = 0;
  suite.fake.setScript(async () => {
    turns += 1;
    await new Promise((r) => setTimeout(r, 3_000));
    return turns === 1
      ? writeScore(5)
      : { toolCalls: [...writeScore(9).toolCalls, { name: 'done', arguments: { summary: 'score is 9' } }] };
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', slackDeps());
  const { outcome, status } = await h.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, spec(ws), { taskQueue: h.taskQueue, goalId: 'tracked' });
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery) };
  });
  expect(outcome.status).toBe('achieved');

  // Slack: the expected replies in order, each once, and the parent shows the final status.
  expect(significant(status).map((e) => e.kind)).toEqual([
    'baseline',
    'new_best',
    'milestone',
    'verification',
    'new_best',
    'final',
    'milestone', // the final milestone, with REPORT.md
    'final', // the final report: the last reply
  ]);
  const t = thread('tracked');
  expect(t.keys).toEqual(significant(status).map((e) => `ev-${e.seq}`));
  expect(t.texts[0]).toMatch(/Baseline/);
  expect(t.texts[5]).toMatch(/achieved/);
  expect(slack.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
  expect(slack.callsTo('chat.update').length).toBeGreaterThanOrEqual(1);
  expect(t.parent.text).toMatch(/achieved/i);
  expect(JSON.stringify(t.parent.blocks)).toMatch(/100%/);
  expect(status.slack).toMatchObject({ channel: CHANNEL, parentTs: t.parent.ts, off: null });
  expect(status.events.filter((e) => e.kind).every((e) => e.seq > 0)).toBe(true);
  // No secret in anything Slack received.
  expect(slack.calls.map((c) => c.raw).join('\n')).not.toContain(TOKEN);
  expect(slack.calls.map((c) => c.raw).join('\n')).not.toContain('sk-test-secret-key');

  // Milestones: one commit per new best that did not end the goal, plus the final one; the user's branch untouched.
  const log = await milestoneLog(ws, 'longhaul/tracked', status.startCommit!);
  expect(log.map((c) => c.subject)).toEqual([
    'longhaul: new best: score 0 → 5 (target ≥ 9)',
    'longhaul: achieved: score 0 → 9 (target ≥ 9)',
  ]);
  expect(status.milestones).toMatchObject({ branch: 'longhaul/tracked', count: 2, last: log[1]!.commit });
  expect(execFileSync('git', ['log', '--format=%H %s'], { cwd: ws, encoding: 'utf8' })).toBe(userLog);
  expect(execFileSync('git', ['show', 'longhaul/tracked:score.txt'], { cwd: ws, encoding: 'utf8' })).toBe('9\n');

  // The progress document: every measurement of the goal.
  const md = readFileSync(path.join(h.home, 'goals', 'tracked', 'progress.md'), 'utf8');
  expect(md).toContain('Raise the score to 9');
  for (const label of ['baseline', 'turn 1', 'turn 2']) expect(md).toContain(label);
  expect(existsSync(path.join(h.home, 'goals', 'tracked', 'progress.html'))).toBe(true);
});

test('each Slack event is posted exactly once although the worker is SIGKILLed mid-run', async () => {
  const ws = scoreWorkspace(0);
  const home = tempDir('longhaul-home-');
  const taskQueue = `slack-kill-${process.pid}`;
  const third = deferred<void>();
  let turns = 0;
  suite.fake.setScript(async () => {
    turns += 1;
    if (turns === 3) await third.promise; // the worker is killed while this turn's model call is open
    return turns >= 4
      ? { toolCalls: [...writeScore(9).toolCalls, { name: 'done', arguments: { summary: 'done' } }] }
      : writeScore(turns * 2);
  });
  const handle = await startGoal(suite.env.client, spec(ws), {
    taskQueue,
    goalId: 'tracked-kill',
    tuning: { heartbeatTimeoutSeconds: 3 },
  });
  const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_CHANNEL: CHANNEL, SLACK_API_URL: slack.url };
  const options = { address: suite.env.address, taskQueue, home, openaiBaseUrl: suite.fake.url, env };
  const first = startWorkerProcess(options);
  await waitFor(() => turns >= 3, 60_000, `the third turn\n${first.output()}`);
  first.child.kill('SIGKILL');
  await first.exited;
  third.resolve();
  const second = startWorkerProcess(options);
  try {
    const outcome = await handle.result();
    expect(outcome.status).toBe('achieved');
    const status = await handle.query(statusQuery);
    const t = thread('tracked-kill');
    expect(t.keys).toEqual(significant(status).map((e) => `ev-${e.seq}`));
    expect(new Set(t.keys).size).toBe(t.keys.length);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});

/** Eight turns, the first four slow (1 s): with `down`, every Slack call fails until turn 5 starts. */
async function eightTurns(goalId: string, down: boolean) {
  const ws = scoreWorkspace(0);
  if (down) slack.down();
  let turns = 0;
  let callsWhileDown = 0;
  suite.fake.setScript(async () => {
    turns += 1;
    if (turns <= 4) await new Promise((r) => setTimeout(r, 1_000)); // time for the reporter to try Slack
    if (turns === 5 && down) {
      callsWhileDown = slack.calls.length;
      slack.up();
    }
    return turns >= 8
      ? { toolCalls: [...writeScore(9).toolCalls, { name: 'done', arguments: { summary: 'done' } }] }
      : writeScore(turns);
  });
  const h = await createHarness(suite.env, suite.fake, 'responses', slackDeps());
  const started = Date.now();
  const { outcome, status } = await h.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, spec(ws), { taskQueue: h.taskQueue, goalId });
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery) };
  });
  slack.up();
  return { outcome, status, callsWhileDown, seconds: (Date.now() - started) / 1000 };
}

test('Slack down for the first half of a run does not hold the goal back; the status catches up when it is back', async () => {
  const up = await eightTurns('slack-up', false);
  slack.calls.length = 0;
  const down = await eightTurns('slack-down', true);
  expect(down.outcome).toMatchObject({ status: 'achieved', turns: 8 });
  expect(down.callsWhileDown).toBeGreaterThan(0); // four turns ran while the reporter's Slack calls failed
  const t = thread('slack-down');
  // Every significant event once, in order (status keeps only the latest events: they are the thread's tail).
  const seqs = t.keys.map((k) => Number(k.slice(3)));
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  expect(t.keys[0]).toBe('ev-1');
  expect(t.keys.slice(-significant(down.status).length)).toEqual(significant(down.status).map((e) => `ev-${e.seq}`));
  expect(t.parent.text).toMatch(/achieved/i);
  // A figure, not an assertion (timings belong to benchmarks): the same goal with Slack up and with it down.
  console.log(
    `eight turns: Slack up ${up.seconds.toFixed(1)} s, Slack down for the first half ${down.seconds.toFixed(1)} s (ratio ${(down.seconds / up.seconds).toFixed(2)})`,
  );
});

test('the Temporal UI finds a running goal by LonghaulStatus and shows activity summaries that read as a story', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript([writeScore(5), writeScore(9)]);
  const h = await createHarness(suite.env, suite.fake);
  const cli = (args: string[]) =>
    execFileSync(locateTemporalCli(), [...args, '--address', suite.env.address], { encoding: 'utf8' });
  await h.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, spec(ws), { taskQueue: h.taskQueue, goalId: 'ui-story' });
    await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'look at the UI' }] });
    let listed = '';
    await waitFor(
      () => {
        listed = cli(['workflow', 'list', '--query', "LonghaulStatus='running' AND WorkflowId='ui-story'"]);
        return listed.includes('ui-story');
      },
      30_000,
      'the goal in the visibility store',
    );
    await handle.executeUpdate(resumeUpdate, { args: [] });
    await handle.result();
    const show = JSON.parse(cli(['workflow', 'show', '-w', 'ui-story', '-o', 'json'])) as { events: unknown[] };
    const summaries = JSON.stringify(show)
      .match(/"summary":\{"metadata":\{"encoding":"[^"]+"\},"data":"([^"]+)"\}/g)!
      .map((m) => JSON.parse(Buffer.from(/"data":"([^"]+)"/.exec(m)![1]!, 'base64').toString('utf8')) as string);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'prepare workspace',
        'measure score ×1',
        'turn 1 · model',
        'turn 1 · write_file: score.txt',
      ]),
    );
  });
});

test('a Slack configuration error (unknown channel) is reported in status, never fails the goal', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript([writeScore(9)]);
  const h = await createHarness(suite.env, suite.fake, 'responses', {
    slack: { token: TOKEN, channel: 'C0NOSUCHCHAN', apiUrl: slack.url, timeoutMs: 2_000 },
  });
  const { outcome, status } = await h.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, spec(ws), {
      taskQueue: h.taskQueue,
      goalId: 'slack-misconfigured',
    });
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery) };
  });
  expect(outcome.status).toBe('achieved');
  expect(status.slack.off).toMatch(/^Slack: .*channel/i);
  expect(status.warnings.some((w) => w.startsWith('Slack: '))).toBe(true);
  expect(JSON.stringify(status)).not.toContain(TOKEN);
});
