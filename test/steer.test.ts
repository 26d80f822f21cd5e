import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ASK_INSTRUCTIONS } from '../activities/agent/ask';
import { locateTemporalCli } from '../client/temporal-cli';
import { editUpdate, statusQuery } from '../goal/messages';
import type { GoalStatusView } from '../goal/status';
import { allText, type RecordedRequest } from './fakes/openai-server';
import { runCli } from './helpers/cli';
import { deferred } from './helpers/deferred';
import { createHarness, type Harness } from './helpers/goal-harness';
import { waitFor } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';
import { startGoal } from '../client/goals';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { useServerAndFake } from './helpers/suite';
import { NO_FINISHING } from './helpers/finishing';

const exec = promisify(execFile);
const suite = useServerAndFake();

const isAsk = (req: RecordedRequest) => String(req.body.instructions ?? '').startsWith(ASK_INSTRUCTIONS.slice(0, 40));
const mainRequests = () => suite.fake.requests.filter((r) => !isAsk(r));

/** A goal whose metric is the number in score.txt; higher is better. */
function scoreGoal(ws: string, target = 5, extra: Partial<GoalSpecInput> = {}): GoalSpecInput {
  return {
    objective: 'Raise the score',
    workspace: ws,
    metrics: [scoreMetric(target)],
    budget: { maxTurns: 20 },
    ...NO_FINISHING,
    ...extra,
  };
}

async function start(h: Harness, spec: GoalSpecInput, goalId: string) {
  return startGoal(suite.env.client, parseGoalSpec(spec), { taskQueue: h.taskQueue, goalId });
}

const cli = (h: Harness, args: string[]) =>
  runCli(args, { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue });

test('raising the target mid-run keeps a goal working that would have been achieved; the agent is told; watch follows it', async () => {
  const ws = scoreWorkspace(1);
  const turn2 = deferred();
  const release2 = deferred();
  suite.fake.setScript(async (req, i) => {
    if (i === 0) return writeScore(3);
    if (i === 1) {
      turn2.resolve();
      await release2.promise;
      return writeScore(7); // meets the original target of 5, not the raised one
    }
    return writeScore(12);
  });
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status, edit, watch } = await h.worker.runUntil(async () => {
    const handle = await start(h, scoreGoal(ws), 'raise-target');
    const watching = cli(h, ['watch', 'raise-target', '--interval', '200']);
    await turn2.promise;
    const edit = await cli(h, ['edit', 'raise-target', '--target', 'score=10', '--reason', 'aim higher', '--json']);
    release2.resolve();
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery), edit, watch: await watching };
  });

  expect(edit.stderr).toBe('');
  expect(JSON.parse(edit.stdout)).toEqual({
    goalVersion: 2,
    changes: ['target of score: ≥ 5 → ≥ 10'],
    appliesAt: 'next turn boundary',
  });
  expect(outcome).toMatchObject({ status: 'achieved', turns: 3 });
  expect(outcome.metrics[0]).toMatchObject({ latest: 12, target: 10, verdict: 'MET' });
  const third = allText(mainRequests()[2]!);
  expect(third).toContain('GOAL UPDATED by the user to version 2 (reason: aim higher):\n- target of score: ≥ 5 → ≥ 10');
  expect(third).toMatch(/score.*latest 7.*target ≥ 10 → NOT_MET/);
  expect(status).toMatchObject({ goalVersion: 2, pendingEdits: [] });
  expect(status.history).toEqual([
    expect.objectContaining({ version: 2, turn: 2, changes: ['target of score: ≥ 5 → ≥ 10'], reason: 'aim higher' }),
  ]);
  expect(watch.code).toBe(0);
  expect(watch.stdout).toContain('raise-target  RUNNING');
  expect(watch.stdout).toMatch(/raise-target {2}ACHIEVED .*goal version 2/);
  expect(watch.stdout).toContain('[████████████████████] 100%');
});

test('invalid edits are rejected with the reason and leave the goal unchanged', async () => {
  const ws = scoreWorkspace(1);
  const hold = deferred();
  suite.fake.setScript(async (_req, i) => {
    if (i >= 2) await hold.promise;
    return writeScore(2);
  });
  const h = await createHarness(suite.env, suite.fake);
  const { results, before, after } = await h.worker.runUntil(async () => {
    const handle = await start(h, scoreGoal(ws), 'bad-edits');
    await waitFor(() => mainRequests().length >= 3, 30_000, 'turn 3');
    const before = await handle.query(statusQuery);
    const results = [
      await cli(h, ['edit', 'bad-edits', '--target', 'nosuch=5']),
      await cli(h, ['edit', 'bad-edits', '--max-turns', '1']),
      await cli(h, ['edit', 'bad-edits', '--objective', '   ']),
      await cli(h, ['edit', 'bad-edits', '--target', 'score=-50%']),
    ];
    // Straight through the client, bypassing the CLI's own checks: the workflow's validator refuses it.
    const raw = await handle
      .executeUpdate(editUpdate, { args: [{ budget: { maxTurn: 5 } } as never] })
      .catch((e: Error) => e);
    const after = await handle.query(statusQuery);
    hold.resolve();
    await handle.cancel();
    return { results: [...results, raw], before, after };
  });
  const [unknownMetric, belowSpent, emptyObjective, wrongWay, unknownField] = results as [
    { code: number; stderr: string },
    { code: number; stderr: string },
    { code: number; stderr: string },
    { code: number; stderr: string },
    Error,
  ];
  expect(unknownMetric.code).toBe(2);
  expect(unknownMetric.stderr).toContain('targets.nosuch: no metric named "nosuch" (metrics: score)');
  expect(belowSpent.code).toBe(2);
  expect(belowSpent.stderr).toMatch(/budget\.maxTurns: 1 is below the 3 turns already used/);
  expect(emptyObjective.code).toBe(2);
  expect(emptyObjective.stderr).toContain('objective: objective must not be empty');
  expect(wrongWay.code).toBe(2);
  expect(wrongWay.stderr).toContain(
    'metrics[0].target.relative: direction is "higher" but the relative target -0.5 points the other way: use 0.5',
  );
  expect((unknownField.cause as Error).message).toContain(
    'budget: unknown field "maxTurn": remove or fix the spelling',
  );
  expect(after.goalVersion).toBe(1);
  expect(after.history).toEqual([]);
  expect(after.pendingEdits).toEqual([]);
  expect(after.metrics).toEqual(before.metrics);
});

test('guidance sent with `temporal workflow signal` reaches the next model request; status is readable with `temporal workflow query`', async () => {
  const ws = scoreWorkspace(1);
  const turn1 = deferred();
  const release1 = deferred();
  suite.fake.setScript(async (_req, i) => {
    if (i === 0) {
      turn1.resolve();
      await release1.promise;
      return writeScore(2);
    }
    return writeScore(9);
  });
  const h = await createHarness(suite.env, suite.fake);
  const temporal = locateTemporalCli();
  const { outcome, query } = await h.worker.runUntil(async () => {
    const handle = await start(h, scoreGoal(ws), 'guided');
    await turn1.promise;
    await exec(temporal, [
      'workflow',
      'signal',
      '--address',
      suite.env.address,
      '--workflow-id',
      'guided',
      '--name',
      'guide',
      '--input',
      '"Write 9 into score.txt"',
    ]);
    const { stdout } = await exec(temporal, [
      'workflow',
      'query',
      '--address',
      suite.env.address,
      '--workflow-id',
      'guided',
      '--name',
      'status',
      '-o',
      'json',
    ]);
    release1.resolve();
    return { outcome: await handle.result(), query: stdout };
  });
  expect(outcome.status).toBe('achieved');
  const second = allText(mainRequests()[1]!);
  expect(second).toContain('Guidance from the user: Write 9 into score.txt');
  expect(second).toContain('- (turn 1) Write 9 into score.txt');
  const parsed = JSON.parse(query) as { queryResult: GoalStatusView[] };
  expect(parsed.queryResult[0]).toMatchObject({ goalId: 'guided', status: 'running', objective: 'Raise the score' });
});

test('pause stops model requests at the turn boundary; resume continues with continuous turn numbers', async () => {
  const ws = scoreWorkspace(1);
  const turn2 = deferred();
  const release2 = deferred();
  suite.fake.setScript(async (_req, i) => {
    if (i === 1) {
      turn2.resolve();
      await release2.promise;
    }
    return i < 3 ? writeScore(2 + i) : writeScore(10);
  });
  const h = await createHarness(suite.env, suite.fake);
  const { paused, whilePaused, outcome, pauseOut, resumeOut } = await h.worker.runUntil(async () => {
    const handle = await start(h, scoreGoal(ws), 'pausable');
    await turn2.promise;
    const pauseOut = await cli(h, ['pause', 'pausable', '--reason', 'lunch']);
    release2.resolve(); // the in-flight turn finishes
    await waitFor(() => readFileSync(path.join(ws, 'score.txt'), 'utf8') === '3\n', 10_000, 'turn 2 to finish');
    await new Promise((r) => setTimeout(r, 2500));
    const paused = await handle.query(statusQuery);
    const whilePaused = mainRequests().length;
    const resumeOut = await cli(h, ['resume', 'pausable']);
    return { paused, whilePaused, outcome: await handle.result(), pauseOut, resumeOut };
  });
  expect(pauseOut.stdout).toContain('pausable: paused');
  expect(whilePaused).toBe(2); // no model call while paused
  expect(paused).toMatchObject({ paused: true, turn: 2, phase: 'working' });
  expect(paused.pausedSince).not.toBeNull();
  expect(resumeOut.stdout).toContain('pausable: resumed at turn 2');
  expect(outcome).toMatchObject({ status: 'achieved', turns: 4 });
  expect(allText(mainRequests()[2]!)).toContain('paused by the user and has been resumed');
});

test('ask answers while a long tool call runs, and leaves the transcript and the turn count alone', async () => {
  const ws = scoreWorkspace(1);
  suite.fake.setScript((req, i) => {
    if (isAsk(req)) return { text: 'The agent is waiting for a slow command; the score is 1 of 5.' };
    return i === 0
      ? { toolCalls: [{ name: 'shell', arguments: { command: 'touch started; sleep 3' } }] }
      : writeScore(6);
  });
  const h = await createHarness(suite.env, suite.fake);
  const { asked, during, outcome, status } = await h.worker.runUntil(async () => {
    const handle = await start(h, scoreGoal(ws), 'askable');
    await waitFor(
      () => {
        try {
          readFileSync(path.join(ws, 'started'));
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      'the long tool call',
    );
    const during = await handle.query(statusQuery);
    const asked = await cli(h, ['ask', 'askable', 'what', 'is', 'it', 'doing?']);
    const outcome = await handle.result();
    return { asked, during, outcome, status: await handle.query(statusQuery) };
  });
  expect(asked.code).toBe(0);
  expect(asked.stdout.trim()).toBe('The agent is waiting for a slow command; the score is 1 of 5.');
  const askRequest = suite.fake.requests.find(isAsk)!;
  expect(askRequest.body.tools ?? []).toEqual([]);
  expect(allText(askRequest)).toContain('what is it doing?');
  expect(allText(askRequest)).toContain('[agent calls shell]');
  expect(during.turn).toBe(1);
  expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(mainRequests()).toHaveLength(2);
  for (const req of mainRequests()) expect(allText(req)).not.toContain('what is it doing?');
  expect(status.asks.count).toBe(1);
});

test('steering a finished or unknown goal fails with the goal named and exit codes 6 and 5', async () => {
  const ws = scoreWorkspace(9);
  const h = await createHarness(suite.env, suite.fake);
  await h.worker.runUntil(async () => (await start(h, scoreGoal(ws), 'already-done')).result());
  const ended = await cli(h, ['pause', 'already-done']);
  expect(ended.code).toBe(6);
  expect(ended.stderr).toContain('goal already-done has already ended (completed)');
  const unknown = await cli(h, ['guide', 'no-such-goal', 'hello']);
  expect(unknown.code).toBe(5);
});
