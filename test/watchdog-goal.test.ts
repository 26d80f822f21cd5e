/**
 * The rules that end runaway goals, end to end on a real server: repeated failures and no progress stall a goal,
 * a persistent blocker blocks it, a cost budget ends it, each after a "needs attention" first; a wait ends early
 * when the user steps in.
 */
import { startGoal } from '../client/goals';
import { guideSignal, statusQuery } from '../goal/messages';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { allText } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();

function spec(extra: Partial<GoalSpecInput> = {}): GoalSpecInput {
  return {
    objective: 'Raise the score to 100',
    workspace: scoreWorkspace(0),
    metrics: [scoreMetric(100)],
    ...NO_FINISHING,
    ...extra,
  };
}

const attentionEvents = (events: readonly { text: string; kind?: string }[]) =>
  events.filter((e) => e.kind === 'attention').map((e) => e.text);

test('the same failing command repeated with nothing changed alerts, then stalls the goal', async () => {
  suite.fake.setScript(() => ({ toolCalls: [{ name: 'shell', arguments: { command: 'npm run nosuchscript' } }] }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec({ stall: { repeatedFailures: 3 } }), 'stall-repeat');
  expect(outcome.status).toBe('stalled');
  expect(outcome.reason).toMatch(/the same failing call \(shell: npm run nosuchscript\) was repeated 6 times/);
  expect(outcome.turns).toBe(6);
  expect(attentionEvents(status.events)).toEqual([
    'needs attention: the agent repeats a failing call (shell: npm run nosuchscript) ×3 without changing anything',
  ]);
  // The agent was told at the alert, in the next turn's messages.
  expect(allText(suite.fake.requests[3]!)).toMatch(/You ran shell: npm run nosuchscript 3 times/);
});

test('verifications without progress alert at half the limit and stall the goal at the limit', async () => {
  // Each turn changes the file (so the orchestrator verifies) without raising the score.
  suite.fake.setScript((_req, i) => ({
    toolCalls: [{ name: 'write_file', arguments: { path: 'score.txt', content: `0${' '.repeat(i + 1)}\n` } }],
  }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec({ stall: { noProgress: 4 } }), 'stall-progress');
  expect(outcome).toMatchObject({ status: 'stalled', turns: 4 });
  expect(outcome.reason).toBe('no new best in 4 verifications (stall.noProgress = 4)');
  expect(attentionEvents(status.events)).toEqual([
    'needs attention: no new best in 2 verifications; the goal stops as stalled after 4',
  ]);
});

test('a blocker declared on three consecutive turns blocks the goal with its reason; the first alerts', async () => {
  suite.fake.setScript(() => ({
    toolCalls: [{ name: 'blocked', arguments: { reason: 'the benchmark needs a GPU this machine lacks' } }],
  }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(), 'blocked-thrice');
  expect(outcome).toMatchObject({ status: 'blocked', turns: 3 });
  expect(outcome.reason).toBe(
    'the agent is blocked (declared on 3 consecutive turns): the benchmark needs a GPU this machine lacks',
  );
  expect(status.reason).toBe(outcome.reason);
  expect(attentionEvents(status.events)).toEqual([
    'needs attention: the agent says it is blocked: the benchmark needs a GPU this machine lacks',
  ]);
});

test('a cost budget warns at 80% and ends the goal budget_exhausted, with the spend in status', async () => {
  // $10 per million input tokens, 10,000 tokens a turn: $0.10 a turn against a $0.45 budget.
  suite.fake.setScript(() => ({
    toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }],
    usage: { input: 10_000, output: 0 },
  }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(
    h,
    spec({ budget: { maxCostUsd: 0.45 }, model: { price: { inputPerMTok: 10, outputPerMTok: 30 } } }),
    'cost-budget',
  );
  expect(outcome).toMatchObject({ status: 'budget_exhausted', turns: 5, reason: 'spent $0.50 of $0.45' });
  expect(outcome.costUsd).toBeCloseTo(0.5);
  expect(status.budget.cost).toEqual({ used: expect.closeTo(0.5, 6), limit: 0.45 });
  expect(attentionEvents(status.events)).toEqual(['needs attention: budget at 88%: cost $0.40 of $0.45']);
});

test('a cost budget on a model without a known price blocks the goal with the fix', async () => {
  suite.fake.setScript(() => ({ toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome } = await runGoal(h, spec({ budget: { maxCostUsd: 5 } }), 'cost-unpriced');
  expect(outcome).toMatchObject({ status: 'blocked', turns: 1 });
  expect(outcome.reason).toMatch(/no price is known for model "fake-model": start the goal again with model.price/);
});

test('a wait holds the goal durably and ends early when the user sends guidance', async () => {
  suite.fake.setScript((_req, i) =>
    i === 0
      ? { toolCalls: [{ name: 'wait', arguments: { minutes: 600, reason: 'the nightly benchmark job' } }] }
      : { toolCalls: [{ name: 'write_file', arguments: { path: 'score.txt', content: '100\n' } }] },
  );
  const h = await createHarness(suite.env, suite.fake);
  const result = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec()), { taskQueue: h.taskQueue, goalId: 'waits' });
    let waiting = await handle.query(statusQuery);
    while (!waiting.waitingUntil) {
      await new Promise((r) => setTimeout(r, 100));
      waiting = await handle.query(statusQuery);
    }
    expect(suite.fake.requests).toHaveLength(1); // no turn while waiting
    await handle.signal(guideSignal, 'no need to wait: the job already ran');
    return { waiting, outcome: await handle.result() };
  });
  expect(result.waiting.waitingUntil?.reason).toBe('the nightly benchmark job');
  expect(Date.parse(result.waiting.waitingUntil!.until) - Date.now()).toBeGreaterThan(9 * 3_600_000);
  expect(result.outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(allText(suite.fake.requests[1]!)).toMatch(/Your wait was cut short/);
});
