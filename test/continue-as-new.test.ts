import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TestWorkflowEnvironment as Env } from '@temporalio/testing';
import { listGoals, startGoal } from '../client/goals';
import { locateTemporalCli } from '../client/temporal-cli';
import { editUpdate, guideSignal, statusQuery } from '../goal/messages';
import { SEARCH_ATTRIBUTES } from '../goal/search-attributes';
import { parseGoalSpec } from '../goal/spec';
import { allText, FakeOpenAI, turnOf } from './fakes/openai-server';
import { createHarness } from './helpers/goal-harness';
import { scoreMetric, scoreWorkspace } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

let env: TestWorkflowEnvironment;
let fake: FakeOpenAI;

beforeAll(async () => {
  // A tiny history threshold, so that Temporal suggests continue-as-new every few turns.
  env = await Env.createLocal({
    server: {
      executable: { type: 'existing-path', path: locateTemporalCli() },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: '127.0.0.1',
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    },
  });
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  await fake?.close();
  await env?.teardown();
});

test('a long goal continues-as-new when Temporal suggests it, with turns, tokens, edits and guidance continuous', async () => {
  const ws = scoreWorkspace(0);
  const FINAL_TURN = 24;
  fake.setScript((_req, i) => ({
    toolCalls: [
      { name: 'write_file', arguments: { path: 'score.txt', content: `${i + 1 >= FINAL_TURN ? 100 : i + 1}\n` } },
    ],
    usage: { input: 100, output: 10 },
  }));
  const h = await createHarness(env, fake);
  const spec = parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Raise the score to 100',
    workspace: ws,
    metrics: [scoreMetric(100)],
    budget: { maxTurns: 40 },
  });
  const { outcome, status, runs, listed } = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, spec, { taskQueue: h.taskQueue, goalId: 'long-goal' });
    while (fake.requests.length < 10) await new Promise((r) => setTimeout(r, 50));
    await handle.signal(guideSignal, 'keep going');
    await handle.executeUpdate(editUpdate, { args: [{ budget: { maxTurns: 50 }, reason: 'more room' }] });
    const outcome = await handle.result();
    let runs = 0;
    for await (const _ of env.client.workflow.list({ query: "WorkflowId = 'long-goal'" })) runs++;
    const listed = (await listGoals(env.client)).filter((g) => g.goalId === 'long-goal');
    return { outcome, status: await handle.query(statusQuery), runs, listed };
  });
  expect(runs).toBeGreaterThan(2); // the goal really continued as new, several times
  expect(listed).toHaveLength(1); // `longhaul list` shows the goal once, not once per run
  expect(outcome).toMatchObject({ status: 'achieved', turns: FINAL_TURN });
  expect(fake.requests).toHaveLength(FINAL_TURN); // no turn lost or repeated across runs
  expect(outcome.tokens).toBeGreaterThanOrEqual(FINAL_TURN * 110); // tokens carried over
  expect(status).toMatchObject({
    goalVersion: 2,
    turn: FINAL_TURN,
    budget: { turns: { used: FINAL_TURN, limit: 50 } },
  });
  expect(status.guidance.map((g) => g.text)).toEqual(['keep going']);
  // Each request numbers its turn; the brief of the last one still carries the edit.
  expect(fake.requests.map(turnOf)).toEqual(Array.from({ length: FINAL_TURN }, (_, i) => i + 1));
  expect(allText(fake.requests[FINAL_TURN - 1]!)).toContain('Goal version 2');
});
