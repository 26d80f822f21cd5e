import { renderBrief } from '../goal/brief';
import { GoalRun, STATE_VERSION, type GoalState } from '../goal/run';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';
import type { CheckResult, MetricResult } from '../goal/status';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const HOUR = 3_600_000;

function spec(over: Record<string, unknown> = {}): GoalSpec {
  return parseGoalSpec({
    objective: 'make the build fast and the tests green',
    workspace: '/repo',
    guidance: 'do not touch the vendored code',
    metrics: [{ name: 'build_seconds', command: 'npm run build', direction: 'lower', target: { relative: -0.5 } }],
    checks: [{ name: 'tests', command: 'npm test' }],
    ...over,
  });
}

/** A spec with a lower-is-better and a higher-is-better metric, both absolute, and no checks. */
function twoMetricSpec(): GoalSpec {
  return spec({
    metrics: [
      { name: 'build_seconds', command: 'b', direction: 'lower', target: { absolute: 5 } },
      {
        name: 'coverage',
        command: 'c',
        measure: 'stdout_number',
        pattern: '(\\d+)%',
        direction: 'higher',
        target: { absolute: 90 },
      },
    ],
    checks: [],
  });
}

function metric(name: string, value: number | null, error?: string): MetricResult {
  return { name, value, samples: 5, durationMs: 100, ...(error !== undefined ? { error } : {}) };
}

function check(name: string, passed: boolean, excerpt = '', exitCode: number | null = passed ? 0 : 1): CheckResult {
  return { name, passed, exitCode, excerpt, durationMs: 50 };
}

const usage = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
});

/** A goal with a recorded baseline: build 10 s (target 5 s), tests failing. */
function started(s: GoalSpec = spec()): GoalRun {
  const run = GoalRun.create('goal-1', s, T0);
  run.recordBaseline([metric('build_seconds', 10)], [check('tests', false, 'FAIL x')], 'fp0', T0 + 1000);
  return run;
}

describe('GoalRun.create', () => {
  test('starts in the baseline phase, running, with nothing measured', () => {
    const run = GoalRun.create('goal-1', spec(), T0);
    expect(run.state).toEqual({
      v: STATE_VERSION,
      goalId: 'goal-1',
      spec: spec(),
      goalVersion: 1,
      phase: 'baseline',
      status: 'running',
      turn: 0,
      startedAt: T0,
      endedAt: null,
      startCommit: null,
      tokens: { input: 0, output: 0, total: 0 },
      metrics: [{ name: 'build_seconds', baseline: null, latest: null, best: null }],
      checks: [{ name: 'tests', baseline: null, latest: null }],
      verifiedFingerprint: null,
      pendingNotes: [],
      idleTurns: 0,
      lastEvent: null,
      reason: null,
    });
    expect(run.finished).toBe(false);
    expect(run.describeCriteria()).toBe(
      'metric build_seconds (lower is better): baseline n/a, latest n/a, best n/a, target ≤ n/a → UNKNOWN; check "tests": not run yet',
    );
  });
});

describe('recordBaseline', () => {
  test('not achieved: records values, resolves the relative target and queues the baseline for the agent', () => {
    const run = GoalRun.create('goal-1', spec(), T0);
    const outcome = run.recordBaseline([metric('build_seconds', 10)], [check('tests', false)], 'fp0', T0 + 1000);
    const summary =
      'metric build_seconds (lower is better): baseline 10, latest 10, best 10, target ≤ 5 → NOT_MET; check "tests": FAILS';
    expect(outcome).toEqual({ achieved: false, summary });
    expect(run.state.metrics[0]).toMatchObject({ baseline: 10, latest: 10, best: 10 });
    expect(run.state.checks[0]).toEqual({ name: 'tests', baseline: false, latest: false });
    expect(run.state.verifiedFingerprint).toBe('fp0');
    expect(run.state.lastEvent).toEqual({ at: T0 + 1000, text: `Baseline: ${summary}` });
    expect(run.takeNotes()).toEqual([
      `Baseline: ${summary}\nThe orchestrator measures these itself after you change files or call \`done\`.`,
    ]);
  });

  test('already achieved: reports achieved and the note carries no instructions', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    const outcome = run.recordBaseline([metric('build_seconds', 4), metric('coverage', 95)], [], 'fp0', T0);
    expect(outcome.achieved).toBe(true);
    expect(run.takeNotes()).toEqual([`Baseline: ${outcome.summary}`]);
  });

  test('a check alone passing at baseline is achieved', () => {
    const run = GoalRun.create('goal-1', spec({ metrics: [] }), T0);
    expect(run.recordBaseline([], [check('tests', true)], 'fp0', T0)).toEqual({
      achieved: true,
      summary: 'check "tests": passes',
    });
  });

  test('unmeasurable metrics get their own note with the reason, and the goal is not achieved', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    const outcome = run.recordBaseline(
      [metric('build_seconds', null, 'command exited 2, so its time does not count'), metric('coverage', null)],
      [],
      'fp0',
      T0,
    );
    expect(outcome.achieved).toBe(false);
    expect(outcome.summary).toContain('→ UNKNOWN (command exited 2, so its time does not count)');
    const notes = run.takeNotes();
    expect(notes).toHaveLength(2);
    expect(notes[1]).toBe(
      'Some metrics could not be measured at baseline: build_seconds (command exited 2, so its time does not count); coverage (no value).',
    );
  });
});

describe('turns and notes', () => {
  test('beginTurn counts turns and moves to the working phase', () => {
    const run = started();
    expect(run.beginTurn()).toBe(1);
    expect(run.state.phase).toBe('working');
    expect(run.beginTurn()).toBe(2);
    expect(run.state.turn).toBe(2);
  });

  test('takeNotes returns the queued notes once, in order', () => {
    const run = started();
    run.note('second');
    const notes = run.takeNotes();
    expect(notes).toHaveLength(2);
    expect(notes[1]).toBe('second');
    expect(run.takeNotes()).toEqual([]);
    expect(run.state.pendingNotes).toEqual([]);
  });

  test('recordModelTurn accumulates input, output and total tokens', () => {
    const run = started();
    run.beginTurn();
    run.recordModelTurn(usage(100, 20), 2, T0 + 5000);
    run.beginTurn();
    run.recordModelTurn({ inputTokens: 50, outputTokens: 5, totalTokens: 60 }, 1, T0 + 6000);
    expect(run.state.tokens).toEqual({ input: 150, output: 25, total: 180 });
    expect(run.state.lastEvent).toEqual({ at: T0 + 6000, text: 'turn 2: 1 tool call' });
  });

  test('an idle turn is counted and the agent is told to use a tool or call done', () => {
    const run = started();
    run.takeNotes();
    run.beginTurn();
    run.recordModelTurn(usage(1, 1), 0, T0);
    run.beginTurn();
    run.recordModelTurn(usage(1, 1), 0, T0);
    expect(run.state.idleTurns).toBe(2);
    expect(run.state.lastEvent?.text).toBe('turn 2: 0 tool calls');
    expect(run.takeNotes()).toEqual([
      'You called no tool. Keep working toward the goal with the tools, or call `done` if you believe the criteria are met.',
      'You called no tool. Keep working toward the goal with the tools, or call `done` if you believe the criteria are met.',
    ]);
  });

  test('a turn with tool calls resets the idle count and adds no note', () => {
    const run = started();
    run.takeNotes();
    run.recordModelTurn(usage(1, 1), 0, T0);
    run.takeNotes();
    run.recordModelTurn(usage(1, 1), 3, T0);
    expect(run.state.idleTurns).toBe(0);
    expect(run.takeNotes()).toEqual([]);
  });
});

describe('needsVerification', () => {
  test('is due when the workspace changed or the agent claims done, not otherwise', () => {
    const run = started();
    expect(run.needsVerification('fp0', false)).toBe(false);
    expect(run.needsVerification('fp1', false)).toBe(true);
    expect(run.needsVerification('fp0', true)).toBe(true);
  });

  test('a verification records the new fingerprint', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', 9)], [check('tests', false)], 'fp1', false, T0);
    expect(run.needsVerification('fp1', false)).toBe(false);
  });

  test('before any measurement every fingerprint needs verification', () => {
    expect(GoalRun.create('g', spec(), T0).needsVerification('fp0', false)).toBe(true);
  });
});

describe('recordVerification', () => {
  test('best tracks the lowest value for lower-is-better and the highest for higher-is-better', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.recordBaseline([metric('build_seconds', 10), metric('coverage', 50)], [], 'fp0', T0);
    run.recordVerification([metric('build_seconds', 8), metric('coverage', 70)], [], 'fp1', false, T0);
    run.recordVerification([metric('build_seconds', 9), metric('coverage', 60)], [], 'fp2', false, T0);
    expect(run.state.metrics).toEqual([
      { name: 'build_seconds', baseline: 10, latest: 9, best: 8 },
      { name: 'coverage', baseline: 50, latest: 60, best: 70 },
    ]);
  });

  test('a null measurement keeps the best and records the error', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', null, 'command timed out after 600 s')], [], 'fp1', false, T0);
    expect(run.state.metrics[0]).toMatchObject({
      baseline: 10,
      latest: null,
      best: 10,
      lastError: 'command timed out after 600 s',
    });
    expect(run.metricStatuses()[0]!.verdict).toBe('UNKNOWN');
  });

  test('a first value after an unmeasurable baseline becomes the best', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.recordBaseline([metric('build_seconds', null, 'boom'), metric('coverage', 50)], [], 'fp0', T0);
    run.recordVerification([metric('build_seconds', 7), metric('coverage', 50)], [], 'fp1', false, T0 + 1);
    expect(run.state.metrics[0]).toMatchObject({ baseline: null, latest: 7, best: 7 });
    expect(run.state.metrics[0]!.lastError).toBeUndefined();
    expect(run.state.lastEvent?.text).toBe('new best: build_seconds');
  });

  test('a new best is announced as the last event, naming the metrics', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', 8)], [check('tests', false)], 'fp1', false, T0 + 2);
    expect(run.state.lastEvent).toEqual({ at: T0 + 2, text: 'new best: build_seconds' });
  });

  test('without a new best the last event is the verification summary', () => {
    const run = started();
    const outcome = run.recordVerification([metric('build_seconds', 12)], [check('tests', false)], 'fp1', false, T0);
    expect(run.state.lastEvent?.text).toBe(`verified after turn 0: ${outcome.summary}`);
  });

  test('met when every metric is MET and every check passes; no note then', () => {
    const run = started();
    run.takeNotes();
    run.beginTurn();
    const outcome = run.recordVerification([metric('build_seconds', 5)], [check('tests', true)], 'fp1', true, T0);
    expect(outcome).toEqual({
      achieved: true,
      summary:
        'metric build_seconds (lower is better): baseline 10, latest 5, best 5, target ≤ 5 → MET; check "tests": passes',
    });
    expect(run.takeNotes()).toEqual([]);
  });

  test('a met metric with a failing check is not achieved', () => {
    const run = started();
    const outcome = run.recordVerification([metric('build_seconds', 3)], [check('tests', false)], 'fp1', false, T0);
    expect(outcome.achieved).toBe(false);
    expect(run.metricStatuses()[0]!.verdict).toBe('MET');
  });

  test('when not met, the note gives the summary, metric errors and the failing check excerpt', () => {
    const run = started();
    run.takeNotes();
    run.beginTurn();
    const outcome = run.recordVerification(
      [metric('build_seconds', null, 'command exited 1, so its time does not count')],
      [check('tests', false, 'FAIL stats.test.js\n  expected 2, got 3', 1)],
      'fp1',
      false,
      T0,
    );
    expect(run.takeNotes()).toEqual([
      [
        `The orchestrator's verification says the goal is not met yet: ${outcome.summary}`,
        'Metric build_seconds: command exited 1, so its time does not count',
        'Check "tests" failed (exit 1):\nFAIL stats.test.js\n  expected 2, got 3',
      ].join('\n'),
    ]);
  });

  test('a check killed without an exit code is reported as exit none', () => {
    const run = started();
    run.takeNotes();
    run.recordVerification([metric('build_seconds', 9)], [check('tests', false, 'killed', null)], 'fp1', false, T0);
    expect(run.takeNotes()[0]).toContain('Check "tests" failed (exit none):\nkilled');
  });

  test('a refuted done claim says so', () => {
    const run = started();
    run.takeNotes();
    run.recordVerification([metric('build_seconds', 9)], [check('tests', true)], 'fp1', true, T0);
    const [note] = run.takeNotes();
    expect(note).toMatch(/^You called `done`, but the orchestrator's verification says the goal is not met yet: /);
    expect(note).not.toContain('Check "tests" failed');
  });
});

describe('budgetExhausted', () => {
  test('stops when the turns are used up', () => {
    const run = started(spec({ budget: { maxTurns: 2 } }));
    expect(run.budgetExhausted(T0)).toBeNull();
    run.beginTurn();
    expect(run.budgetExhausted(T0)).toBeNull();
    run.beginTurn();
    expect(run.budgetExhausted(T0)).toBe('used all 2 turns');
  });

  test('stops when the total tokens reach the limit', () => {
    const run = started(spec({ budget: { maxTokens: 1000 } }));
    run.recordModelTurn(usage(900, 99), 1, T0);
    expect(run.budgetExhausted(T0)).toBeNull();
    run.recordModelTurn(usage(1, 0), 1, T0);
    expect(run.budgetExhausted(T0)).toBe('used 1000 of 1000 tokens');
  });

  test('stops when the wall-clock hours are up', () => {
    const run = started(spec({ budget: { maxHours: 1.5 } }));
    expect(run.budgetExhausted(T0 + 1.5 * HOUR - 1)).toBeNull();
    expect(run.budgetExhausted(T0 + 1.5 * HOUR)).toBe('ran for 1.5 hours');
  });

  test('without token or hour limits only turns count', () => {
    const run = started();
    run.recordModelTurn(usage(10_000_000, 0), 1, T0);
    expect(run.budgetExhausted(T0 + 1000 * HOUR)).toBeNull();
  });
});

describe('finish and outcome', () => {
  test('outcome() throws while the goal is running', () => {
    expect(() => started().outcome()).toThrow('outcome() of a goal that is still running');
  });

  test('finish records status, reason and end, and outcome reports them', () => {
    const run = started();
    run.beginTurn();
    run.recordModelTurn(usage(100, 23), 1, T0);
    run.recordVerification([metric('build_seconds', 4)], [check('tests', true)], 'fp1', true, T0);
    run.finish('achieved', 'verified by the orchestrator after turn 1', T0 + HOUR);
    expect(run.finished).toBe(true);
    expect(run.state).toMatchObject({ phase: 'done', status: 'achieved', endedAt: T0 + HOUR });
    expect(run.state.lastEvent).toEqual({ at: T0 + HOUR, text: 'achieved: verified by the orchestrator after turn 1' });
    expect(run.outcome()).toEqual({
      goalId: 'goal-1',
      status: 'achieved',
      reason: 'verified by the orchestrator after turn 1',
      turns: 1,
      tokens: 123,
      metrics: [
        {
          name: 'build_seconds',
          direction: 'lower',
          baseline: 10,
          latest: 4,
          best: 4,
          target: 5,
          verdict: 'MET',
        },
      ],
      checks: [{ name: 'tests', baseline: false, latest: true }],
    });
  });

  test('a budget-exhausted goal reports its last metric errors', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', null, 'boom')], [check('tests', false)], 'fp1', false, T0);
    run.finish('budget_exhausted', 'used all 50 turns', T0);
    expect(run.outcome()).toMatchObject({
      status: 'budget_exhausted',
      metrics: [{ name: 'build_seconds', verdict: 'UNKNOWN', lastError: 'boom' }],
    });
  });
});

describe('view', () => {
  test('reports budget use, progress, criteria and ISO dates while running', () => {
    const run = started(spec({ budget: { maxTurns: 10, maxTokens: 5000, maxHours: 2 } }));
    run.setStartCommit('abc123');
    run.beginTurn();
    run.recordModelTurn(usage(300, 200), 1, T0 + 2000);
    run.recordVerification([metric('build_seconds', 7.5)], [check('tests', false)], 'fp1', false, T0 + 3000);
    const v = run.view(T0 + HOUR / 2);
    expect(v).toEqual({
      goalId: 'goal-1',
      objective: 'make the build fast and the tests green',
      goalVersion: 1,
      phase: 'working',
      status: 'running',
      turn: 1,
      paused: false,
      metrics: [
        {
          name: 'build_seconds',
          direction: 'lower',
          baseline: 10,
          latest: 7.5,
          best: 7.5,
          target: 5,
          verdict: 'NOT_MET',
        },
      ],
      checks: [{ name: 'tests', baseline: false, latest: false }],
      budget: {
        turns: { used: 1, limit: 10 },
        tokens: { used: 500, limit: 5000 },
        hours: { used: 0.5, limit: 2 },
      },
      // metric halfway (10 → 7.5 of 10 → 5), check failing: mean of 0.5 and 0.
      progress: 0.25,
      lastEvent: { at: new Date(T0 + 3000).toISOString(), text: 'new best: build_seconds' },
      startedAt: '2025-01-02T03:04:05.000Z',
      endedAt: null,
      reason: null,
      workspace: '/repo',
      startCommit: 'abc123',
      pendingEdits: [],
      history: [],
      guidance: [],
      pausedSince: null,
      asks: { count: 0, tokens: 0 },
    });
  });

  test('without token or hour limits those limits are null and paused defaults to false', () => {
    const v = started().view(T0);
    expect(v.paused).toBe(false);
    expect(v.budget.tokens.limit).toBeNull();
    expect(v.budget.hours.limit).toBeNull();
    expect(v.budget.turns.limit).toBe(50);
  });

  test('after finishing, hours stop at the end time and progress is 1 when achieved', () => {
    const run = started();
    run.finish('achieved', 'done', T0 + 2 * HOUR);
    const v = run.view(T0 + 10 * HOUR);
    expect(v.budget.hours.used).toBe(2);
    expect(v.endedAt).toBe(new Date(T0 + 2 * HOUR).toISOString());
    expect(v.progress).toBe(1);
  });

  test('a failed goal keeps its partial progress', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', 5)], [check('tests', false)], 'fp1', false, T0);
    run.finish('stalled', 'no progress', T0);
    expect(run.view(T0).progress).toBe(0.5);
  });
});

describe('state serialization', () => {
  test('the state survives a JSON round-trip and the revived goal behaves the same', () => {
    const run = started(spec({ budget: { maxTurns: 3, maxTokens: 10_000 } }));
    run.beginTurn();
    run.recordModelTurn(usage(100, 10), 0, T0 + 1);
    run.recordVerification([metric('build_seconds', 8)], [check('tests', false, 'FAIL')], 'fp1', false, T0 + 2);

    const revived = new GoalRun(JSON.parse(JSON.stringify(run.state)) as GoalState);
    expect(revived.state).toEqual(run.state);
    expect(revived.view(T0 + 5)).toEqual(run.view(T0 + 5));
    expect(revived.describeCriteria()).toBe(run.describeCriteria());

    for (const r of [run, revived]) {
      r.beginTurn();
      r.recordModelTurn(usage(5, 5), 2, T0 + 10);
      r.recordVerification([metric('build_seconds', 4)], [check('tests', true)], 'fp2', true, T0 + 11);
    }
    expect(revived.state).toEqual(run.state);
    expect(revived.takeNotes()).toEqual(run.takeNotes());
    expect(revived.needsVerification('fp2', false)).toBe(false);
    expect(revived.budgetExhausted(T0)).toBeNull();
    revived.beginTurn();
    expect(revived.budgetExhausted(T0)).toBe('used all 3 turns');
  });
});

describe('renderBrief', () => {
  test('contains the objective, guidance, criteria with their state, and the budget', () => {
    const run = started(spec({ budget: { maxTurns: 20, maxTokens: 100_000 } }));
    run.beginTurn();
    run.recordModelTurn(usage(1000, 234), 1, T0);
    const brief = renderBrief(run, T0);
    expect(brief.split('\n')).toEqual([
      'Objective: make the build fast and the tests green',
      'Guidance: do not touch the vendored code',
      'Exit criteria (verified by the orchestrator):',
      '- metric build_seconds: `npm run build` (wall_time), lower is better, target -50% vs baseline',
      '- check "tests": `npm test` must exit 0',
      `Current state: ${run.describeCriteria()}`,
      'Budget: turn 1 of 20, 1234 of 100000 tokens',
    ]);
  });

  test('an absolute target is shown as a number; no guidance line or token budget when not set', () => {
    const run = GoalRun.create('g', spec({ guidance: undefined, metrics: twoMetricSpec().metrics, checks: [] }), T0);
    const brief = renderBrief(run, T0);
    expect(brief).not.toContain('Guidance:');
    expect(brief).toContain('- metric build_seconds: `b` (wall_time), lower is better, target 5');
    expect(brief).toContain('- metric coverage: `c` (stdout_number), higher is better, target 90');
    expect(brief).toContain(`Current state: ${run.describeCriteria()}`);
    expect(brief.endsWith('Budget: turn 0 of 50')).toBe(true);
  });

  test('with nothing to describe the state says not measured yet', () => {
    // parseGoalSpec refuses a goal without criteria; the brief still copes with one.
    const run = GoalRun.create('g', { ...spec(), metrics: [], checks: [] }, T0);
    expect(renderBrief(run, T0)).toContain('Current state: not measured yet');
  });
});
