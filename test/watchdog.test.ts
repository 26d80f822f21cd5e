/** The pure rules for long runs: prices and context windows, budgets at 80%, stalls, blockers, waits. */
import { costOf, DEFAULT_CONTEXT_WINDOW, modelInfo } from '../goal/models';
import { GoalRun } from '../goal/run';
import { parseGoalSpec, stallSpec } from '../goal/spec';
import { afterToolCall, afterTurn, afterVerification, declareBlocker, newWatchState } from '../goal/watchdog';

const stall = stallSpec.parse({ noProgress: 6, repeatedFailures: 3 });

function goal(extra: object = {}) {
  const spec = parseGoalSpec({
    objective: 'Raise the score',
    workspace: '/tmp/ws',
    checks: [{ name: 'ok', command: 'true' }],
    ...extra,
  });
  return GoalRun.create('g-1', spec, 0);
}

describe('model table', () => {
  test('a dated model name finds its family; a sibling family is not mistaken for it', () => {
    expect(modelInfo('gpt-5.1-2025-11-13').price).toEqual({
      inputPerMTok: 1.25,
      cachedInputPerMTok: 0.125,
      outputPerMTok: 10,
    });
    expect(modelInfo('gpt-5-mini').price).toEqual({ inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 });
    expect(modelInfo('gpt-4o-mini-2024-07-18').contextWindow).toBe(128_000);
    expect(modelInfo('my-local-llama')).toEqual({ price: null, contextWindow: DEFAULT_CONTEXT_WINDOW });
  });

  test("the spec's price and window override the table", () => {
    expect(modelInfo('gpt-5.1', { price: { inputPerMTok: 1, outputPerMTok: 2 }, contextWindow: 8_000 })).toEqual({
      price: { inputPerMTok: 1, outputPerMTok: 2 },
      contextWindow: 8_000,
    });
    expect(costOf({ inputPerMTok: 2, outputPerMTok: 8 }, 1_000_000, 500_000)).toBeCloseTo(6);
  });

  test('cached input costs the cached rate, else the full input price', () => {
    const price = { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 };
    expect(costOf(price, 1_000_000, 0, 800_000)).toBeCloseTo(0.2 * 2 + 0.8 * 0.5);
    expect(costOf({ inputPerMTok: 2, outputPerMTok: 8 }, 1_000_000, 0, 800_000)).toBeCloseTo(2);
    const run = goal({ model: { name: 'gpt-5.1' } });
    run.recordModelUsage({ inputTokens: 100_000, outputTokens: 0, totalTokens: 100_000, cachedInputTokens: 90_000 });
    expect(run.state.costUsd).toBeCloseTo((10_000 * 1.25 + 90_000 * 0.125) / 1e6);
    expect(run.state.tokens.cached).toBe(90_000);
  });
});

describe('cost budget', () => {
  test('spend accumulates from usage at the price, and the budget ends the goal', () => {
    const run = goal({ budget: { maxCostUsd: 1 }, model: { name: 'gpt-5.1' } });
    run.recordModelUsage({ inputTokens: 400_000, outputTokens: 20_000, totalTokens: 420_000 }, 'gpt-5.1');
    expect(run.state.costUsd).toBeCloseTo(0.7);
    expect(run.budgetExhausted(0)).toBeNull();
    run.recordModelUsage({ inputTokens: 200_000, outputTokens: 10_000, totalTokens: 210_000 });
    expect(run.budgetExhausted(0)).toBe('spent $1.05 of $1.00');
  });

  test('a cost budget on a model without a price is a clear problem, not a silent $0', () => {
    const run = goal({ budget: { maxCostUsd: 5 } });
    run.recordModelUsage({ inputTokens: 10, outputTokens: 10, totalTokens: 20 }, 'my-local-llama');
    expect(run.state.costUsd).toBe(0);
    expect(run.costBudgetProblem()).toMatch(
      /no price is known for model "my-local-llama": start the goal again with model.price/,
    );
    expect(
      goal({ budget: { maxCostUsd: 5 }, model: { price: { inputPerMTok: 0, outputPerMTok: 0 } } }).costBudgetProblem(),
    ).toBeNull();
  });

  test('each budget warns once at 80%, as an attention event', () => {
    const run = goal({ budget: { maxTurns: 10, maxTokens: 1000 } });
    for (let i = 0; i < 7; i++) run.beginTurn();
    run.warnBudgets(0);
    expect(run.state.attention).toBeNull();
    run.beginTurn();
    run.warnBudgets(1);
    expect(run.state.attention?.text).toBe('budget at 80%: turns 8 of 10');
    run.recordModelUsage({ inputTokens: 900, outputTokens: 0, totalTokens: 900 });
    run.beginTurn();
    run.warnBudgets(2);
    run.warnBudgets(3);
    const warnings = run.state.outbox.filter((e) => e.kind === 'attention').map((e) => e.text);
    expect(warnings).toEqual([
      'needs attention: budget at 80%: turns 8 of 10',
      'needs attention: budget at 90%: tokens 900 of 1000',
    ]);
  });
});

describe('stall detection', () => {
  test('no progress alerts at half the limit and stalls at the limit; progress resets the count', () => {
    const w = newWatchState();
    expect(afterVerification(w, stall, 0.2, true)).toEqual({ kind: 'ok' });
    expect(afterVerification(w, stall, 0.2, false)).toEqual({ kind: 'ok' });
    expect(afterVerification(w, stall, 0.1, false)).toEqual({ kind: 'ok' });
    expect(afterVerification(w, stall, 0.2, false)).toMatchObject({ kind: 'attention' });
    expect(afterVerification(w, stall, 0.3, false)).toEqual({ kind: 'ok' }); // higher progress counts
    for (let i = 0; i < 5; i++) expect(afterVerification(w, stall, 0.3, false).kind).not.toBe('stop');
    expect(afterVerification(w, stall, 0.3, false)).toMatchObject({ kind: 'stop', status: 'stalled' });
  });

  test('the same failing call alerts at K and stalls at 2K; a workspace change or another call does not add up', () => {
    const w = newWatchState();
    const call = { sig: 'abc', summary: 'shell: npm test', failed: true };
    expect(afterToolCall(w, stall, call)).toEqual({ kind: 'ok' });
    expect(afterToolCall(w, stall, { ...call, sig: 'other' })).toEqual({ kind: 'ok' });
    expect(afterToolCall(w, stall, { ...call, failed: false })).toEqual({ kind: 'ok' });
    expect(afterToolCall(w, stall, call)).toEqual({ kind: 'ok' });
    expect(afterToolCall(w, stall, call)).toMatchObject({
      kind: 'attention',
      noteForAgent: expect.stringMatching(/3 times/),
    });
    expect(afterToolCall(w, stall, call).kind).toBe('ok');
    expect(afterToolCall(w, stall, call).kind).toBe('ok');
    expect(afterToolCall(w, stall, call)).toMatchObject({ kind: 'stop', status: 'stalled' });
  });

  test('a blocker on three consecutive turns blocks; a turn without one resets', () => {
    const w = newWatchState();
    declareBlocker(w, 'needs a token');
    expect(afterTurn(w)).toEqual({ kind: 'attention', text: 'the agent says it is blocked: needs a token' });
    declareBlocker(w, 'needs a token');
    expect(afterTurn(w)).toEqual({ kind: 'ok' });
    expect(afterTurn(w)).toEqual({ kind: 'ok' }); // a turn without a blocker
    declareBlocker(w, 'a');
    afterTurn(w);
    declareBlocker(w, 'b');
    afterTurn(w);
    declareBlocker(w, 'still no token');
    expect(afterTurn(w)).toEqual({
      kind: 'stop',
      status: 'blocked',
      reason: 'the agent is blocked (declared on 3 consecutive turns): still no token',
    });
  });
});

describe('waits', () => {
  test('a wait is capped by the hours left and ends early on guidance, an edit or a pause', () => {
    const run = goal({ budget: { maxHours: 1 } });
    run.requestWait(120, 'nightly job', 0);
    expect(run.state.waiting).toMatchObject({ until: 3_600_000, reason: 'nightly job' });
    expect(run.waitOver(1000)).toBe(false);
    expect(run.waitOver(3_600_000)).toBe(true);
    expect(run.waitCutShort()).toBe(false); // time alone never cuts it short: the wait's timer ends it
    run.guide('stop waiting', 2000);
    expect(run.waitOver(2000)).toBe(true);
    expect(run.waitCutShort()).toBe(true);
    run.endWait(2000);
    expect(run.state.waiting).toBeNull();
    expect(run.takeNotes().at(-1)).toMatch(/cut short/);
  });
});

describe('outbox', () => {
  test('significant events queue for Slack until delivered; others do not', () => {
    const run = goal();
    run.event('turn 1: 2 tool calls', 1);
    run.pause('lunch', 2);
    run.resume(3);
    expect(run.state.outbox.map((e) => e.kind)).toEqual(['paused', 'resumed']);
    run.delivered(run.state.outbox[0]!.seq);
    expect(run.state.outbox.map((e) => e.kind)).toEqual(['resumed']);
  });
});
