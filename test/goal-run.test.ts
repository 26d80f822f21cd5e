import { formatStatus, progressBar } from '../client/format';
import { renderBrief } from '../goal/brief';
import { renderDetails } from '../goal/details';
import { InvalidEditError, parseGoalEdit } from '../goal/edit';
import {
  GoalRun,
  MAX_EVENTS,
  MAX_GUIDANCE_CHARS,
  MAX_GUIDANCE_ENTRIES,
  STATE_VERSION,
  type GoalState,
} from '../goal/run';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';
import type { CheckResult, MetricResult } from '../goal/status';
import { newWatchState } from '../goal/watchdog';

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
      tokens: { input: 0, output: 0, total: 0, cached: 0 },
      metrics: [{ name: 'build_seconds', baseline: null, latest: null, best: null }],
      checks: [{ name: 'tests', baseline: null, latest: null }],
      verifiedFingerprint: null,
      pendingNotes: [],
      idleTurns: 0,
      lastEvent: null,
      events: [],
      outbox: [],
      modelName: null,
      costUsd: 0,
      watch: newWatchState(),
      stop: null,
      frontier: null,
      waiting: null,
      outage: null,
      attention: null,
      lastRefreshAt: null,
      refreshes: 0,
      progressVersion: 0,
      slack: { channel: null, parentTs: null, off: null },
      milestones: { branch: 'longhaul/goal-1', last: null, count: 0 },
      finalization: { reflection: null, cleanup: null, push: null, report: null },
      context: { compactions: 0, summarisedThrough: 0, lastPromptTokens: 0 },
      reason: null,
      pendingEdits: [],
      history: [],
      guidance: [],
      paused: null,
      pausedMs: 0,
      asks: { count: 0, tokens: 0 },
      holdout: [],
      checklist: [],
      integrity: { protectedFiles: 0, violations: 0, last: null, refusals: [] },
      baselineDir: null,
      warnings: [],
      host: { name: null, lostSince: null, move: null, lastMove: null, moves: 0 },
      storeId: null,
    });
    expect(run.finished).toBe(false);
    expect(run.paused).toBe(false);
    expect(run.hasPendingEdits).toBe(false);
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
    expect(outcome).toEqual({ achieved: false, summary, newBest: [] });
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
      newBest: [],
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
    expect(run.state.tokens).toEqual({ input: 150, output: 25, total: 180, cached: 0 });
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
    expect(run.state.lastEvent?.text).toBe('new best: build_seconds n/a → 7');
  });

  test('a new best is announced as the last event, naming the metrics', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', 8)], [check('tests', false)], 'fp1', false, T0 + 2);
    expect(run.state.lastEvent).toEqual({ at: T0 + 2, text: 'new best: build_seconds 10 → 8' });
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
      newBest: ['build_seconds'],
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
      costUsd: 0,
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
        cost: { used: 0, limit: null },
      },
      model: null,
      frontier: null,
      waitingUntil: null,
      attention: null,
      promptCache: { inputTokens: 300, cachedTokens: 0, hitPercent: 0 },
      context: { compactions: 0, summarisedThrough: 0, lastPromptTokens: 300 },
      sandbox: 'on',
      refreshes: 0,
      slack: { channel: null, parentTs: null, off: null },
      milestones: { branch: 'longhaul/goal-1', last: null, count: 0 },
      finalization: { reflection: null, cleanup: null, push: null, report: null },
      // metric halfway (10 → 7.5 of 10 → 5), check failing: mean of 0.5 and 0.
      progress: 0.25,
      lastEvent: { at: new Date(T0 + 3000).toISOString(), text: 'new best: build_seconds 10 → 7.5' },
      events: [
        { seq: 1, at: new Date(T0 + 1000).toISOString(), text: expect.stringMatching(/^Baseline: /), kind: 'baseline' },
        { seq: 2, at: new Date(T0 + 2000).toISOString(), text: 'turn 1: 1 tool call' },
        {
          seq: 3,
          at: new Date(T0 + 3000).toISOString(),
          text: expect.stringMatching(/^verified after turn 1: /), // routine: not for Slack
        },
        { seq: 4, at: new Date(T0 + 3000).toISOString(), text: 'new best: build_seconds 10 → 7.5', kind: 'new_best' },
      ],
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
      holdout: [],
      checklist: [],
      integrity: { protectedFiles: 0, violations: 0, last: null, refusals: [] },
      warnings: [],
      host: { name: null, lostSince: null, moving: null, lastMove: null, moves: 0 },
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
      'Execution frontier: not recorded yet. Call record_progress with what is done, what remains and your next step; it stays in front of you every turn.',
    ]);
  });

  test('an absolute target is shown as a number; no guidance line or token budget when not set', () => {
    const run = GoalRun.create('g', spec({ guidance: undefined, metrics: twoMetricSpec().metrics, checks: [] }), T0);
    const brief = renderBrief(run, T0);
    expect(brief).not.toContain('Guidance:');
    expect(brief).toContain('- metric build_seconds: `b` (wall_time), lower is better, target 5');
    expect(brief).toContain('- metric coverage: `c` (stdout_number), higher is better, target 90');
    expect(brief).toContain(`Current state: ${run.describeCriteria()}`);
    expect(brief).toContain('\nBudget: turn 0 of 50\n');
  });

  test('with nothing to describe the state says not measured yet', () => {
    // parseGoalSpec refuses a goal without criteria; the brief still copes with one.
    const run = GoalRun.create('g', { ...spec(), metrics: [], checks: [] }, T0);
    expect(renderBrief(run, T0)).toContain('Current state: not measured yet');
  });
});

// ---- steering: edits, guidance, pause, asks ------------------------------------------------------------

const edit = (input: unknown) => parseGoalEdit(input);

/** The problems of the InvalidEditError thrown by `f`. */
function editProblems(f: () => unknown): readonly string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidEditError) return e.problems;
    throw e;
  }
  throw new Error('expected an InvalidEditError, but nothing was thrown');
}

const TARGET_4 = edit({ targets: { build_seconds: { absolute: 4 } } });
const BUILD_METRIC = {
  name: 'build_seconds',
  command: 'npm run build',
  direction: 'lower',
  target: { relative: -0.5 },
} as const;

describe('GoalRun.restore', () => {
  test('fills the fields that state from before steering lacks', () => {
    const run = started();
    run.beginTurn();
    run.recordModelTurn(usage(10, 5), 1, T0 + 2000);
    const old = JSON.parse(JSON.stringify(run.state)) as Record<string, unknown>;
    for (const key of ['pendingEdits', 'history', 'guidance', 'paused', 'pausedMs', 'asks']) delete old[key];
    old.v = 1; // such state was written by version 1

    const restored = GoalRun.restore(old);
    expect(restored.state).toEqual(run.state);
    expect(restored.state).toMatchObject({
      pendingEdits: [],
      history: [],
      guidance: [],
      paused: null,
      pausedMs: 0,
      asks: { count: 0, tokens: 0 },
    });
    expect(restored.view(T0 + HOUR)).toEqual(run.view(T0 + HOUR));
    expect(restored.hoursUsed(T0 + HOUR)).toBe(1);
  });

  test('keeps the steering fields that are present', () => {
    const run = started();
    run.guide('use esbuild', T0 + 1);
    run.queueEdit(TARGET_4, T0 + 2);
    run.pause('lunch', T0 + 3);
    run.recordAsk(42);
    const restored = GoalRun.restore(JSON.parse(JSON.stringify(run.state)) as GoalState);
    expect(restored.state).toEqual(run.state);
    expect(restored.paused).toBe(true);
    expect(restored.hasPendingEdits).toBe(true);
  });
});

describe('validateEdit', () => {
  test('returns the changes it would make and changes nothing itself', () => {
    const run = started();
    const before = structuredClone(run.state);
    expect(run.validateEdit(edit({ objective: 'only the build', reason: 'tests are fine' }), T0 + 5)).toEqual([
      'objective: "make the build fast and the tests green" → "only the build"',
    ]);
    expect(run.state).toEqual(before);
  });

  test('is refused once the goal has ended or is finalizing', () => {
    const ended = started();
    ended.finish('achieved', 'done', T0 + 10);
    expect(() => ended.validateEdit(TARGET_4, T0 + 20)).toThrow(
      'the goal has already ended (achieved): edits only apply to running goals',
    );
    const finalizing = started();
    finalizing.setPhase('finalizing');
    expect(() => finalizing.validateEdit(TARGET_4, T0 + 20)).toThrow(
      'the goal has already ended (running): edits only apply to running goals',
    );
  });

  test('is allowed while paused and before the first turn', () => {
    const run = GoalRun.create('goal-1', spec(), T0);
    expect(run.validateEdit(TARGET_4, T0)).toEqual(['target of build_seconds: -50% vs baseline → ≤ 4']);
    run.pause(null, T0);
    expect(run.validateEdit(TARGET_4, T0)).toHaveLength(1);
  });

  test('an edit that changes nothing is refused', () => {
    const run = started();
    const same = [
      { objective: 'make the build fast and the tests green' },
      { guidance: 'do not touch the vendored code' },
      { targets: { build_seconds: { relative: -0.5 } } },
      { budget: { maxTurns: 50 } },
      { checks: [{ name: 'tests', command: 'npm test' }] },
    ];
    for (const e of same) {
      expect(() => run.validateEdit(edit(e), T0)).toThrow('the edit changes nothing: the goal already reads that way');
    }
    const noGuidance = started(spec({ guidance: undefined }));
    expect(() => noGuidance.validateEdit(edit({ guidance: '' }), T0)).toThrow('the edit changes nothing');
  });

  test('an invalid result is refused with an InvalidEditError', () => {
    const run = started();
    expect(editProblems(() => run.validateEdit(edit({ metrics: [], checks: [] }), T0))).toEqual([
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
    expect(editProblems(() => run.validateEdit(edit({ targets: { coverage: { absolute: 90 } } }), T0))).toEqual([
      'targets.coverage: no metric named "coverage" (metrics: build_seconds)',
    ]);
  });

  test('a budget below the turns and tokens already spent is refused', () => {
    const run = started();
    run.beginTurn();
    run.recordModelTurn(usage(600, 400), 1, T0);
    run.beginTurn();
    expect(editProblems(() => run.validateEdit(edit({ budget: { maxTurns: 1, maxTokens: 999 } }), T0))).toEqual([
      'budget.maxTurns: 1 is below the 2 turns already used',
      'budget.maxTokens: 999 is below the 1000 tokens already used',
    ]);
    expect(run.validateEdit(edit({ budget: { maxTurns: 2, maxTokens: 1000 } }), T0)).toEqual([
      'budget.maxTurns: 50 → 2',
      'budget.maxTokens: none → 1000',
    ]);
  });

  test('the hours already spent exclude paused time', () => {
    const run = started();
    run.pause(null, T0 + HOUR / 2);
    run.resume(T0 + 2 * HOUR);
    // 2 h since the start, 1.5 h of them paused: 0.5 h used.
    expect(run.validateEdit(edit({ budget: { maxHours: 0.5 } }), T0 + 2 * HOUR)).toEqual([
      'budget.maxHours: none → 0.5',
    ]);
    expect(editProblems(() => run.validateEdit(edit({ budget: { maxHours: 0.4 } }), T0 + 2 * HOUR))).toEqual([
      'budget.maxHours: 0.4 is below the 0.50 hours already used',
    ]);
  });

  test('is checked against the spec as it will be after the pending edits', () => {
    const addCoverage = edit({
      metrics: [
        BUILD_METRIC,
        { name: 'coverage', command: 'c', measure: 'exit_code', direction: 'higher', target: { absolute: 90 } },
      ],
    });
    const targetCoverage = edit({ targets: { coverage: { absolute: 95 } } });

    const alone = started();
    expect(editProblems(() => alone.validateEdit(targetCoverage, T0))).toEqual([
      'targets.coverage: no metric named "coverage" (metrics: build_seconds)',
    ]);

    const run = started();
    run.queueEdit(addCoverage, T0);
    expect(run.validateEdit(targetCoverage, T0)).toEqual(['target of coverage: ≥ 90 → ≥ 95']);
    // Repeating what a pending edit already does changes nothing.
    expect(() => run.validateEdit(addCoverage, T0)).toThrow('the edit changes nothing');
  });
});

describe('queueEdit', () => {
  test('assigns versions 2, 3, ... in order while the edits are pending, and leaves the spec alone', () => {
    const run = started();
    const first = run.queueEdit(edit({ objective: 'only the build', reason: 'tests are fine' }), T0 + 10);
    expect(first).toEqual({
      goalVersion: 2,
      changes: ['objective: "make the build fast and the tests green" → "only the build"'],
    });
    const second = run.queueEdit(edit({ budget: { maxTurns: 30 }, guidance: '' }), T0 + 20);
    expect(second).toEqual({ goalVersion: 3, changes: ['guidance removed', 'budget.maxTurns: 50 → 30'] });
    expect(run.state.pendingEdits).toEqual([
      { version: 2, edit: { objective: 'only the build', reason: 'tests are fine' }, at: T0 + 10 },
      { version: 3, edit: { budget: { maxTurns: 30 }, guidance: '' }, at: T0 + 20 },
    ]);
    expect(run.hasPendingEdits).toBe(true);
    expect(run.state.goalVersion).toBe(1);
    expect(run.spec).toEqual(spec());
  });

  test('the event names the version and the changes', () => {
    const run = started();
    run.queueEdit(edit({ targets: { build_seconds: { absolute: 4 } }, budget: { maxTurns: 30 } }), T0 + 10);
    expect(run.state.lastEvent).toEqual({
      at: T0 + 10,
      text: 'edit accepted (version 2), applies at the next turn boundary: target of build_seconds: -50% vs baseline → ≤ 4; budget.maxTurns: 50 → 30',
    });
  });

  test('a refused edit is not queued and leaves no event', () => {
    const run = started();
    const lastEvent = run.state.lastEvent;
    expect(() => run.queueEdit(edit({ metrics: [], checks: [] }), T0 + 10)).toThrow(InvalidEditError);
    expect(() => run.queueEdit(edit({ objective: spec().objective }), T0 + 10)).toThrow('the edit changes nothing');
    expect(run.state.pendingEdits).toEqual([]);
    expect(run.state.lastEvent).toBe(lastEvent);
  });

  test('after the pending edits are applied, numbering continues from the new version', () => {
    const run = started();
    run.queueEdit(TARGET_4, T0);
    run.applyPendingEdits(T0 + 1);
    expect(run.queueEdit(edit({ budget: { maxTurns: 30 } }), T0 + 2).goalVersion).toBe(3);
  });
});

describe('applyPendingEdits', () => {
  test('updates the spec and the version, records the history and tells the agent', () => {
    const run = started();
    run.beginTurn();
    run.takeNotes();
    run.queueEdit(edit({ objective: 'only the build', reason: 'tests are fine' }), T0 + 10);
    expect(run.applyPendingEdits(T0 + 20)).toEqual([]);
    expect(run.spec).toEqual({ ...spec(), objective: 'only the build' });
    expect(run.state.goalVersion).toBe(2);
    expect(run.state.pendingEdits).toEqual([]);
    expect(run.hasPendingEdits).toBe(false);
    expect(run.state.history).toEqual([
      {
        version: 2,
        at: T0 + 20,
        turn: 1,
        changes: ['objective: "make the build fast and the tests green" → "only the build"'],
        reason: 'tests are fine',
      },
    ]);
    expect(run.takeNotes()).toEqual([
      [
        'GOAL UPDATED by the user to version 2 (reason: tests are fine):',
        '- objective: "make the build fast and the tests green" → "only the build"',
        'The goal and criteria in your instructions are now current; plan your next step against them.',
      ].join('\n'),
    ]);
    expect(run.state.lastEvent).toEqual({
      at: T0 + 20,
      text: 'goal updated to version 2: objective: "make the build fast and the tests green" → "only the build"',
    });
  });

  test('without a reason the note has no reason and the history records null', () => {
    const run = started();
    run.takeNotes();
    run.queueEdit(edit({ targets: { build_seconds: { absolute: 4 } }, budget: { maxTurns: 30 } }), T0);
    run.applyPendingEdits(T0);
    expect(run.takeNotes()).toEqual([
      [
        'GOAL UPDATED by the user to version 2:',
        '- target of build_seconds: -50% vs baseline → ≤ 4',
        '- budget.maxTurns: 50 → 30',
        'The goal and criteria in your instructions are now current; plan your next step against them.',
      ].join('\n'),
    ]);
    expect(run.state.history[0]!.reason).toBeNull();
  });

  test('several pending edits apply in order, each with its own note and history entry', () => {
    const run = started();
    run.beginTurn();
    run.takeNotes();
    run.queueEdit(edit({ objective: 'o2', reason: 'first' }), T0 + 1);
    run.queueEdit(edit({ objective: 'o3', reason: 'second' }), T0 + 2);
    run.applyPendingEdits(T0 + 3);
    expect(run.spec.objective).toBe('o3');
    expect(run.state.goalVersion).toBe(3);
    expect(run.state.history).toEqual([
      {
        version: 2,
        at: T0 + 3,
        turn: 1,
        changes: ['objective: "make the build fast and the tests green" → "o2"'],
        reason: 'first',
      },
      { version: 3, at: T0 + 3, turn: 1, changes: ['objective: "o2" → "o3"'], reason: 'second' },
    ]);
    const notes = run.takeNotes();
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^GOAL UPDATED by the user to version 2 \(reason: first\):\n/);
    expect(notes[1]).toMatch(/^GOAL UPDATED by the user to version 3 \(reason: second\):\n- objective: "o2" → "o3"\n/);
    expect(run.state.lastEvent?.text).toBe('goal updated to version 3: objective: "o2" → "o3"');
  });

  test('a second pending edit may build on a metric the first adds', () => {
    const run = started();
    run.queueEdit(
      edit({
        metrics: [
          BUILD_METRIC,
          { name: 'coverage', command: 'c', measure: 'exit_code', direction: 'higher', target: { absolute: 90 } },
        ],
      }),
      T0,
    );
    run.queueEdit(edit({ targets: { coverage: { absolute: 95 } } }), T0);
    expect(run.applyPendingEdits(T0 + 1)).toEqual(['coverage']);
    expect(run.spec.metrics[1]!.target).toEqual({ absolute: 95 });
    expect(run.state.history.map((h) => h.changes)).toEqual([
      ['metric coverage added: `c` (exit_code), target ≥ 90'],
      ['target of coverage: ≥ 90 → ≥ 95'],
    ]);
    expect(run.state.metrics[1]).toEqual({ name: 'coverage', baseline: null, latest: null, best: null });
  });

  test('a target-only change keeps the metric state and resolves the new target against the old baseline', () => {
    const run = started();
    run.recordVerification([metric('build_seconds', 8)], [check('tests', false)], 'fp1', false, T0);
    run.queueEdit(edit({ targets: { build_seconds: { relative: -0.1 } } }), T0);
    expect(run.applyPendingEdits(T0)).toEqual([]);
    expect(run.state.metrics).toEqual([{ name: 'build_seconds', baseline: 10, latest: 8, best: 8 }]);
    expect(run.metricStatuses()[0]).toMatchObject({ target: 9, verdict: 'MET' });
  });

  test('keeps unchanged metrics and checks, resets re-measured or new ones, drops removed ones', () => {
    const s = spec({
      metrics: twoMetricSpec().metrics,
      checks: [
        { name: 'tests', command: 'npm test' },
        { name: 'lint', command: 'eslint .' },
        { name: 'e2e', command: 'npm run e2e' },
      ],
    });
    const run = GoalRun.create('goal-1', s, T0);
    run.recordBaseline(
      [metric('build_seconds', 10), metric('coverage', 50)],
      [check('tests', false), check('lint', true), check('e2e', true)],
      'fp0',
      T0,
    );
    run.recordVerification(
      [metric('build_seconds', 8), metric('coverage', 60)],
      [check('tests', true), check('lint', true), check('e2e', true)],
      'fp1',
      false,
      T0,
    );
    run.queueEdit(
      edit({
        metrics: [
          { ...s.metrics[0], command: 'make build' },
          {
            name: 'size',
            command: 'du -b dist',
            measure: 'stdout_number',
            pattern: '(\\d+)',
            direction: 'lower',
            target: { absolute: 1e6 },
          },
        ],
        checks: [
          { name: 'tests', command: 'npm test' },
          { name: 'lint', command: 'eslint src' },
          { name: 'types', command: 'tsc --noEmit' },
        ],
      }),
      T0,
    );
    expect(run.applyPendingEdits(T0)).toEqual(['build_seconds', 'size']);
    expect(run.state.metrics).toEqual([
      { name: 'build_seconds', baseline: null, latest: null, best: null },
      { name: 'size', baseline: null, latest: null, best: null },
    ]);
    expect(run.state.checks).toEqual([
      { name: 'tests', baseline: false, latest: true },
      { name: 'lint', baseline: null, latest: null },
      { name: 'types', baseline: null, latest: null },
    ]);
  });

  test('a metric whose target alone changes keeps its state next to a re-baselined one', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.recordBaseline([metric('build_seconds', 10), metric('coverage', 50)], [], 'fp0', T0);
    const [build, coverage] = twoMetricSpec().metrics;
    run.queueEdit(
      edit({
        metrics: [
          { ...build, target: { absolute: 3 } },
          { ...coverage, pattern: 'lines (\\d+)%' },
        ],
      }),
      T0,
    );
    expect(run.applyPendingEdits(T0)).toEqual(['coverage']);
    expect(run.state.metrics).toEqual([
      { name: 'build_seconds', baseline: 10, latest: 10, best: 10 },
      { name: 'coverage', baseline: null, latest: null, best: null },
    ]);
  });

  test('the next verification always runs, even if no file changed', () => {
    const run = started();
    expect(run.needsVerification('fp0', false)).toBe(false);
    run.queueEdit(TARGET_4, T0);
    run.applyPendingEdits(T0);
    expect(run.state.verifiedFingerprint).toBeNull();
    expect(run.needsVerification('fp0', false)).toBe(true);
  });

  // Bug: the returned names accumulate over all pending edits, so a metric re-baselined by one edit and
  // removed by a later one is still returned although it is no longer in the spec.
  test('does not return a metric that a later pending edit removes', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.recordBaseline([metric('build_seconds', 10), metric('coverage', 50)], [], 'fp0', T0);
    const [build, coverage] = twoMetricSpec().metrics;
    run.queueEdit(edit({ metrics: [build, { ...coverage, command: 'c2' }] }), T0);
    run.queueEdit(edit({ metrics: [build] }), T0);
    expect(run.applyPendingEdits(T0)).toEqual([]);
  });
});

describe('applyPendingEdits with paired verdicts', () => {
  // Bug: the paired sign test's verdict is kept with the metric state when only the target changes, so until
  // the next verification the status reports the verdict for the old target.
  test('a new target does not keep the verdict decided for the old one', () => {
    const run = started();
    run.recordVerification(
      [{ ...metric('build_seconds', 8), verdict: 'MET', pairs: { passes: 5, n: 5 } }],
      [check('tests', false)],
      'fp1',
      false,
      T0,
    );
    expect(run.metricStatuses()[0]!.verdict).toBe('MET');
    run.queueEdit(edit({ targets: { build_seconds: { absolute: 2 } } }), T0);
    run.applyPendingEdits(T0);
    // 8 against an absolute target of 2: not met.
    expect(run.metricStatuses()[0]!.verdict).toBe('NOT_MET');
  });
});

describe('recordRebaseline', () => {
  test('sets baseline, latest and best of the re-measured metrics and tells the agent', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.recordBaseline([metric('build_seconds', 10), metric('coverage', 50)], [], 'fp0', T0);
    run.recordVerification([metric('build_seconds', 9), metric('coverage', 55)], [], 'fp1', false, T0);
    run.takeNotes();
    run.recordRebaseline([metric('coverage', 40)], T0 + 7);
    expect(run.state.metrics).toEqual([
      { name: 'build_seconds', baseline: 10, latest: 9, best: 9 },
      { name: 'coverage', baseline: 40, latest: 40, best: 40 },
    ]);
    expect(run.takeNotes()).toEqual(['New baseline after the edit: coverage = 40']);
    expect(run.state.lastEvent).toEqual({ at: T0 + 7, text: 'New baseline after the edit: coverage = 40' });
  });

  test('an unmeasurable metric is recorded with its error', () => {
    const run = GoalRun.create('goal-1', twoMetricSpec(), T0);
    run.takeNotes();
    run.recordRebaseline(
      [metric('build_seconds', 12.5), metric('coverage', null, 'no match'), metric('coverage', null)],
      T0,
    );
    expect(run.state.metrics[0]).toEqual({ name: 'build_seconds', baseline: 12.5, latest: 12.5, best: 12.5 });
    expect(run.takeNotes()).toEqual([
      'New baseline after the edit: build_seconds = 12.5, coverage = n/a (no match), coverage = n/a (no value)',
    ]);
  });

  test('nothing re-measured: no note and no event', () => {
    const run = started();
    run.takeNotes();
    const lastEvent = run.state.lastEvent;
    run.recordRebaseline([], T0 + 9);
    expect(run.takeNotes()).toEqual([]);
    expect(run.state.lastEvent).toBe(lastEvent);
  });
});

describe('guide', () => {
  test('records the trimmed text with the turn, and tells the agent at the next turn', () => {
    const run = started();
    run.beginTurn();
    run.takeNotes();
    run.guide('  try esbuild instead of webpack \n', T0 + 5);
    expect(run.state.guidance).toEqual([{ at: T0 + 5, turn: 1, text: 'try esbuild instead of webpack' }]);
    expect(run.takeNotes()).toEqual(['Guidance from the user: try esbuild instead of webpack']);
    expect(run.state.lastEvent).toEqual({ at: T0 + 5, text: 'guidance received: try esbuild instead of webpack' });
  });

  test('empty or blank guidance is ignored', () => {
    const run = started();
    run.takeNotes();
    const lastEvent = run.state.lastEvent;
    run.guide('', T0);
    run.guide(' \n\t ', T0);
    expect(run.state.guidance).toEqual([]);
    expect(run.takeNotes()).toEqual([]);
    expect(run.state.lastEvent).toBe(lastEvent);
  });

  test('long guidance is cut with a marker, and the event shows only its start', () => {
    const run = started();
    run.takeNotes();
    const long = 'x'.repeat(MAX_GUIDANCE_CHARS + 500);
    run.guide(long, T0);
    const cut = `${'x'.repeat(MAX_GUIDANCE_CHARS)} […cut at ${MAX_GUIDANCE_CHARS} characters]`;
    expect(run.state.guidance[0]!.text).toBe(cut);
    expect(run.takeNotes()).toEqual([`Guidance from the user: ${cut}`]);
    expect(run.state.lastEvent?.text).toBe(`guidance received: ${'x'.repeat(77)}...`);
  });

  test('guidance of exactly the maximum length is kept whole; the event cuts above 80 characters', () => {
    const run = started();
    run.guide('y'.repeat(MAX_GUIDANCE_CHARS), T0);
    expect(run.state.guidance[0]!.text).toBe('y'.repeat(MAX_GUIDANCE_CHARS));
    run.guide('z'.repeat(80), T0);
    expect(run.state.lastEvent?.text).toBe(`guidance received: ${'z'.repeat(80)}`);
    run.guide('w'.repeat(81), T0);
    expect(run.state.lastEvent?.text).toBe(`guidance received: ${'w'.repeat(77)}...`);
  });

  test(`keeps only the latest ${MAX_GUIDANCE_ENTRIES} entries`, () => {
    const run = started();
    for (let i = 1; i <= MAX_GUIDANCE_ENTRIES + 2; i++) run.guide(`hint ${i}`, T0 + i);
    expect(run.state.guidance).toHaveLength(MAX_GUIDANCE_ENTRIES);
    expect(run.state.guidance[0]).toEqual({ at: T0 + 3, turn: 0, text: 'hint 3' });
    expect(run.state.guidance.at(-1)!.text).toBe(`hint ${MAX_GUIDANCE_ENTRIES + 2}`);
  });
});

describe('pause and resume', () => {
  test('pause records since when and why', () => {
    const run = started();
    run.pause('reviewing the last change', T0 + HOUR);
    expect(run.paused).toBe(true);
    expect(run.state.paused).toEqual({ since: T0 + HOUR, reason: 'reviewing the last change' });
    expect(run.state.lastEvent).toEqual({ at: T0 + HOUR, text: 'paused: reviewing the last change' });
    const v = run.view(T0 + 2 * HOUR);
    expect(v.paused).toBe(true);
    expect(v.pausedSince).toBe(new Date(T0 + HOUR).toISOString());
  });

  test('pause without a reason', () => {
    const run = started();
    run.pause(null, T0 + 1);
    expect(run.state.paused).toEqual({ since: T0 + 1, reason: null });
    expect(run.state.lastEvent?.text).toBe('paused');
  });

  test('pausing again is a no-op that keeps the first pause', () => {
    const run = started();
    run.pause('first', T0 + 1);
    run.pause('second', T0 + 2);
    expect(run.state.paused).toEqual({ since: T0 + 1, reason: 'first' });
    expect(run.state.lastEvent).toEqual({ at: T0 + 1, text: 'paused: first' });
  });

  test('pause is refused once the goal has ended or is finalizing', () => {
    const ended = started();
    ended.finish('cancelled', 'by the user', T0);
    expect(() => ended.pause(null, T0)).toThrow('the goal has already ended (cancelled): there is nothing to pause');
    expect(ended.state.paused).toBeNull();
    const finalizing = started();
    finalizing.setPhase('finalizing');
    expect(() => finalizing.pause(null, T0)).toThrow('the goal has already ended (running): there is nothing to pause');
  });

  test('resume counts the paused time, tells the agent, and is a no-op when not paused', () => {
    const run = started();
    run.takeNotes();
    run.pause(null, T0 + HOUR);
    run.resume(T0 + 3 * HOUR);
    expect(run.paused).toBe(false);
    expect(run.state.paused).toBeNull();
    expect(run.state.pausedMs).toBe(2 * HOUR);
    expect(run.takeNotes()).toEqual([
      'The goal was paused by the user and has been resumed. Continue where you left off.',
    ]);
    expect(run.state.lastEvent).toEqual({ at: T0 + 3 * HOUR, text: 'resumed' });

    run.resume(T0 + 4 * HOUR);
    expect(run.state.pausedMs).toBe(2 * HOUR);
    expect(run.takeNotes()).toEqual([]);
    expect(run.state.lastEvent).toEqual({ at: T0 + 3 * HOUR, text: 'resumed' });
    expect(run.view(T0 + 4 * HOUR).pausedSince).toBeNull();
  });
});

describe('hoursUsed and budgetExhausted exclude paused time', () => {
  test('a finished pause', () => {
    const run = started();
    run.pause(null, T0 + HOUR);
    run.resume(T0 + 3 * HOUR);
    expect(run.hoursUsed(T0 + 4 * HOUR)).toBe(2);
    expect(run.view(T0 + 4 * HOUR).budget.hours.used).toBe(2);
  });

  test('a pause in progress', () => {
    const run = started();
    run.pause(null, T0 + HOUR);
    expect(run.hoursUsed(T0 + HOUR)).toBe(1);
    expect(run.hoursUsed(T0 + 5 * HOUR)).toBe(1);
  });

  test('finished pauses and a pause in progress together', () => {
    const run = started();
    run.pause(null, T0 + HOUR);
    run.resume(T0 + 2 * HOUR);
    run.pause(null, T0 + 3 * HOUR);
    expect(run.hoursUsed(T0 + 6 * HOUR)).toBe(2);
  });

  test('a goal that ends while paused stops counting at its end', () => {
    const run = started();
    run.pause(null, T0 + HOUR);
    run.finish('cancelled', 'by the user', T0 + 3 * HOUR);
    expect(run.hoursUsed(T0 + 10 * HOUR)).toBe(1);
  });

  test('the hour budget runs out on working time only', () => {
    const run = started(spec({ budget: { maxHours: 1.5 } }));
    run.pause(null, T0 + HOUR);
    expect(run.budgetExhausted(T0 + 10 * HOUR)).toBeNull();
    run.resume(T0 + 3 * HOUR);
    expect(run.budgetExhausted(T0 + 3.5 * HOUR - 1)).toBeNull();
    expect(run.budgetExhausted(T0 + 3.5 * HOUR)).toBe('ran for 1.5 hours');
  });
});

describe('recordAsk', () => {
  test('counts side questions and their tokens apart from the run budget', () => {
    const run = started(spec({ budget: { maxTokens: 100 } }));
    run.recordAsk(70);
    run.recordAsk(50);
    expect(run.state.asks).toEqual({ count: 2, tokens: 120 });
    expect(run.state.tokens.total).toBe(0);
    expect(run.budgetExhausted(T0)).toBeNull();
    expect(run.view(T0).asks).toEqual({ count: 2, tokens: 120 });
  });
});

describe('view with steering', () => {
  test('reports pending edits, history, guidance, pause and asks with ISO dates', () => {
    const run = started();
    run.beginTurn();
    run.queueEdit(edit({ objective: 'o2', reason: 'narrower' }), T0 + 1000);
    run.applyPendingEdits(T0 + 2000);
    run.queueEdit(TARGET_4, T0 + 3000);
    run.guide('use esbuild', T0 + 4000);
    run.pause('lunch', T0 + 5000);
    run.recordAsk(12);
    const v = run.view(T0 + 6000);
    expect(v).toMatchObject({
      goalVersion: 2,
      objective: 'o2',
      paused: true,
      pendingEdits: [{ version: 3, at: new Date(T0 + 3000).toISOString() }],
      history: [
        {
          version: 2,
          at: new Date(T0 + 2000).toISOString(),
          turn: 1,
          changes: ['objective: "make the build fast and the tests green" → "o2"'],
          reason: 'narrower',
        },
      ],
      guidance: [{ at: new Date(T0 + 4000).toISOString(), turn: 1, text: 'use esbuild' }],
      pausedSince: new Date(T0 + 5000).toISOString(),
      asks: { count: 1, tokens: 12 },
    });
  });

  test('guidance is limited to the latest 10 entries', () => {
    const run = started();
    for (let i = 1; i <= 12; i++) run.guide(`hint ${i}`, T0 + i);
    const v = run.view(T0);
    expect(v.guidance.map((g) => g.text)).toEqual(Array.from({ length: 10 }, (_, i) => `hint ${i + 3}`));
    expect(run.state.guidance).toHaveLength(12);
  });

  test('the view is a copy: changing it does not change the goal', () => {
    const run = started();
    run.recordAsk(5);
    run.queueEdit(TARGET_4, T0);
    const v = run.view(T0);
    (v.asks as { count: number }).count = 99;
    (v.pendingEdits[0] as { version: number }).version = 99;
    expect(run.state.asks.count).toBe(1);
    expect(run.state.pendingEdits[0]!.version).toBe(2);
  });
});

describe('renderBrief with steering', () => {
  test('lists the guidance sent while running and the latest goal version', () => {
    const run = started(spec({ budget: { maxTurns: 20 } }));
    run.beginTurn();
    run.guide('use esbuild', T0);
    run.beginTurn();
    run.queueEdit(edit({ targets: { build_seconds: { absolute: 4 } }, reason: 'CI is slow' }), T0);
    run.applyPendingEdits(T0);
    run.setFrontier({ done: 'measured: tsc takes 80%', remaining: 'swap tsc for esbuild', next: 'edit build.js' });
    expect(renderBrief(run, T0).split('\n')).toEqual([
      'Objective: make the build fast and the tests green',
      'Guidance: do not touch the vendored code',
      'Exit criteria (verified by the orchestrator):',
      '- metric build_seconds: `npm run build` (wall_time), lower is better, target 4',
      '- check "tests": `npm test` must exit 0',
      'Guidance from the user while the goal runs (oldest first; all still applies unless superseded):',
      '- (turn 1) use esbuild',
      'Goal version 2: last updated by the user at turn 2: target of build_seconds: -50% vs baseline → ≤ 4 (reason: CI is slow)',
      `Current state: ${run.describeCriteria()}`,
      'Budget: turn 2 of 20',
      'Execution frontier (your record_progress at turn 2; update it as you go):',
      '  Done: measured: tsc takes 80%',
      '  Remaining: swap tsc for esbuild',
      '  Next: edit build.js',
    ]);
  });

  test('the version line shows only the last edit, without a reason when none was given', () => {
    const run = started();
    run.queueEdit(edit({ objective: 'o2', reason: 'first' }), T0);
    run.queueEdit(edit({ guidance: '', budget: { maxTurns: 10 } }), T0);
    run.applyPendingEdits(T0);
    const brief = renderBrief(run, T0);
    expect(brief).toContain(
      '\nGoal version 3: last updated by the user at turn 0: guidance removed; budget.maxTurns: 50 → 10\n',
    );
    expect(brief).not.toContain('Guidance:');
    expect(brief.startsWith('Objective: o2\n')).toBe(true);
  });

  test('only the latest 10 guidance entries are in the brief; none, no section', () => {
    const run = started();
    expect(renderBrief(run, T0)).not.toContain('Guidance from the user');
    expect(renderBrief(run, T0)).not.toContain('Goal version');
    for (let i = 1; i <= 12; i++) run.guide(`hint ${i}`, T0);
    const lines = renderBrief(run, T0).split('\n');
    expect(lines.filter((l) => l.startsWith('- (turn '))).toEqual(
      Array.from({ length: 10 }, (_, i) => `- (turn 0) hint ${i + 3}`),
    );
  });
});

describe('progressBar', () => {
  test('fills the bar in proportion and right-aligns the percentage', () => {
    expect(progressBar(0.4)).toBe('[████████░░░░░░░░░░░░]  40%');
    expect(progressBar(0)).toBe('[░░░░░░░░░░░░░░░░░░░░]   0%');
    expect(progressBar(1)).toBe('[████████████████████] 100%');
    expect(progressBar(0.05)).toBe('[█░░░░░░░░░░░░░░░░░░░]   5%');
  });

  test('clamps to 0–1 and treats NaN as 0', () => {
    expect(progressBar(-0.5)).toBe(progressBar(0));
    expect(progressBar(1.7)).toBe(progressBar(1));
    expect(progressBar(Number.NaN)).toBe(progressBar(0));
  });

  test('takes a width, rounding the filled part', () => {
    expect(progressBar(0.5, 10)).toBe('[█████░░░░░]  50%');
    expect(progressBar(0.33, 10)).toBe('[███░░░░░░░]  33%');
    expect(progressBar(0.25, 4)).toBe('[█░░░]  25%');
    expect(progressBar(0.5, 0)).toBe('[]  50%');
  });
});

describe('formatStatus with steering', () => {
  test('shows the pause, the edits applied and pending, guidance and side questions', () => {
    const run = started();
    run.setStartCommit('0123456789abcdef');
    run.beginTurn();
    run.queueEdit(edit({ targets: { build_seconds: { absolute: 4 } }, reason: 'CI is slow' }), T0);
    run.applyPendingEdits(T0);
    run.queueEdit(edit({ objective: 'o3' }), T0);
    run.guide('use esbuild', T0);
    run.guide('g'.repeat(101), T0);
    run.guide('h'.repeat(100), T0);
    run.recordAsk(321);
    run.recordAsk(9);
    run.pause('lunch', T0 + HOUR);
    expect(formatStatus(run.view(T0 + 2 * HOUR)).split('\n')).toEqual([
      'goal-1  RUNNING  (phase working, PAUSED since 2025-01-02T04:04:05.000Z, goal version 2)',
      `progress ${progressBar(0)}`,
      'objective: make the build fast and the tests green',
      'workspace: /repo @ 0123456789',
      'turn 1/50 · tokens 0 · 1.00 h',
      '  metric build_seconds: baseline 10 → latest 10 (best 10), target ≤ 4  NOT_MET',
      '  check tests: baseline FAIL → latest FAIL',
      '  edit v2 (turn 1): target of build_seconds: -50% vs baseline → ≤ 4 — CI is slow',
      '  edit v3: accepted, applies at the next turn boundary',
      '  guidance (turn 1): use esbuild',
      `  guidance (turn 1): ${'g'.repeat(97)}...`,
      `  guidance (turn 1): ${'h'.repeat(100)}`,
      '  side questions answered: 2 (330 tokens)',
      `last event (${new Date(T0 + HOUR).toISOString()}): paused: lunch`,
    ]);
  });

  test('an edit without a reason has no dash; no steering, no steering lines', () => {
    const run = started();
    expect(formatStatus(run.view(T0))).not.toMatch(/PAUSED|edit v|guidance|side questions/);
    run.queueEdit(TARGET_4, T0);
    run.applyPendingEdits(T0);
    expect(formatStatus(run.view(T0))).toContain(
      '\n  edit v2 (turn 0): target of build_seconds: -50% vs baseline → ≤ 4\n',
    );
  });

  test('a paused view without a start time says so', () => {
    const v = { ...started().view(T0), paused: true, pausedSince: null };
    expect(formatStatus(v).split('\n')[0]).toBe('goal-1  RUNNING  (phase baseline, PAUSED since ?, goal version 1)');
  });
});

describe('events', () => {
  test('every event is numbered and kept, the latest MAX_EVENTS of them', () => {
    const run = GoalRun.create('goal-1', spec(), T0);
    for (let i = 1; i <= MAX_EVENTS + 5; i++) run.event(`event ${i}`, T0 + i);
    const events = run.view(T0 + 100).events;
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[0]).toEqual({ seq: 6, at: new Date(T0 + 6).toISOString(), text: 'event 6' });
    expect(events.at(-1)).toEqual({
      seq: MAX_EVENTS + 5,
      at: new Date(T0 + MAX_EVENTS + 5).toISOString(),
      text: `event ${MAX_EVENTS + 5}`,
    });
    expect(run.view(T0 + 100).lastEvent?.text).toBe(`event ${MAX_EVENTS + 5}`);
  });
});

describe('renderDetails', () => {
  test('a Markdown status table for the Temporal UI: phase, progress, budget, one row per criterion, the next step', () => {
    const run = started(spec({ budget: { maxTurns: 20 } }));
    run.beginTurn();
    run.recordVerification([metric('build_seconds', 7.5)], [check('tests', true)], 'fp1', false, T0);
    run.setFrontier({ done: 'profiled', remaining: 'cache | types', next: 'enable incremental' });
    const details = renderDetails(run, T0).split('\n');
    expect(details[0]).toBe('**working** · 75% · turn 1/20 · 0 tokens · 0.0 h');
    expect(details).toContain('| criterion | baseline | best | latest | target | verdict |');
    expect(details).toContain('| build_seconds ↓ | 10 | 7.5 | 7.5 | ≤ 5 | NOT_MET |');
    expect(details).toContain('| check tests | FAIL | | pass | exit 0 | MET |');
    expect(details).toContain('**Next:** enable incremental');
    run.pause('lunch', T0);
    expect(renderDetails(run, T0)).toContain('resume with `longhaul resume goal-1`');
  });
});

describe('host placement', () => {
  const move = { host: 'beta', workspace: '/srv/b/ws', remote: '/srv/remote.git', at: T0 + 20 };

  test('a lost host: status and Slack say the goal waits for it; back, the attention clears', () => {
    const run = GoalRun.create('goal-1', spec(), T0, 'alpha');
    run.hostLost(T0 + 10);
    run.hostLost(T0 + 11); // once
    expect(run.view(T0 + 12).host).toMatchObject({ name: 'alpha', lostSince: new Date(T0 + 10).toISOString() });
    expect(run.state.attention?.text).toMatch(/^waiting for host "alpha".*longhaul move goal-1 --to <host>$/);
    expect(run.state.outbox.filter((e) => e.kind === 'attention')).toHaveLength(1);
    run.hostBack(T0 + 30);
    expect(run.state.host.lostSince).toBeNull();
    expect(run.state.attention).toBeNull();
    expect(run.state.outbox.at(-1)).toMatchObject({ kind: 'host', text: 'host "alpha" is back; the goal continues' });
  });

  test('a move changes host and workspace, forgets the verified fingerprint and the baseline worktree, and tells the agent', () => {
    const run = GoalRun.create('goal-1', spec(), T0, 'alpha');
    run.state.verifiedFingerprint = 'fp';
    run.state.baselineDir = '/alpha/home/worktree';
    run.state.milestones.last = 'b'.repeat(40);
    run.hostLost(T0 + 10);
    run.requestMove(move);
    expect(run.view(T0 + 21).host.moving).toEqual({ host: 'beta', workspace: '/srv/b/ws' });
    run.moved('a'.repeat(40), T0 + 40);
    expect(run.state.host).toMatchObject({ name: 'beta', lostSince: null, move: null, moves: 1 });
    expect(run.spec.workspace).toBe('/srv/b/ws');
    expect(run.state.verifiedFingerprint).toBeNull();
    expect(run.state.baselineDir).toBeNull();
    expect(run.state.attention).toBeNull();
    expect(run.state.host.lastMove?.text).toBe(
      `moved from host "alpha" to "beta": /srv/b/ws re-cloned from /srv/remote.git at ${'a'.repeat(10)} (the remote is behind the last milestone ${'b'.repeat(10)}, which stayed on "alpha")`,
    );
    expect(run.takeNotes().join('\n')).toContain('The goal moved to another machine');
  });

  test('a failed move leaves the goal waiting for its host, and says why', () => {
    const run = GoalRun.create('goal-1', spec(), T0, 'alpha');
    run.hostLost(T0 + 10);
    run.requestMove(move);
    run.moveFailed('no worker of host "beta" took the work within 300 s', T0 + 50);
    expect(run.state.host).toMatchObject({ name: 'alpha', lostSince: T0 + 10, move: null, moves: 0 });
    expect(run.state.host.lastMove).toMatchObject({ host: 'beta', ok: false });
    expect(run.state.attention?.text).toBe(
      'moving to host "beta" failed: no worker of host "beta" took the work within 300 s',
    );
  });

  test('a state from before hosts restores without one', () => {
    const { host: _host, ...old } = GoalRun.create('goal-1', spec(), T0).state;
    expect(GoalRun.restore({ ...old, v: 1 }).state.host).toEqual({
      name: null,
      lostSince: null,
      move: null,
      lastMove: null,
      moves: 0,
    });
  });
});
