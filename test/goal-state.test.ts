/**
 * The goal's carried state across versions (migrateState), the GoalRun methods the workflows call instead of
 * writing the state (Slack, the hourly refresh, the review and clean-up, the report, the push), and the rules moved
 * out of the workflows: what a clean-up may not break, the judge's evidence, paired-run verdicts, the noise warning.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import {
  cleanupTampered,
  GoalRun,
  judgeEvidence,
  migrateState,
  STATE_VERSION,
  UnknownStateVersionError,
} from '../goal/run';
import { LATE_V1_FIELDS } from '../goal/run/migrate';
import { commandVerdict, failsAtBaselineWarning, isPaired, noiseWarning, pairedOutcome } from '../goal/rounds';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';
import type { CheckResult, MetricResult, VerificationRound } from '../goal/status';
import { loadHistories } from './helpers/replay';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

function spec(over: Record<string, unknown> = {}): GoalSpec {
  return parseGoalSpec({
    objective: 'make the build fast and the tests green',
    workspace: '/repo',
    metrics: [{ name: 'build_seconds', command: 'npm run build', direction: 'lower', target: { absolute: 5 } }],
    checks: [{ name: 'tests', command: 'npm test' }],
    holdout: [{ name: 'hidden', command: 'npm run hidden' }],
    ...over,
  });
}

const metric = (name: string, value: number | null): MetricResult => ({ name, value, samples: 1, durationMs: 1 });
const check = (name: string, passed: boolean): CheckResult => ({
  name,
  passed,
  exitCode: passed ? 0 : 1,
  excerpt: passed ? '' : 'FAIL',
  durationMs: 1,
});
const round = (over: Partial<VerificationRound> = {}): VerificationRound => ({
  metrics: [metric('build_seconds', 4)],
  checks: [check('tests', true)],
  holdout: [check('hidden', true)],
  checklist: [],
  ...over,
});

/** A goal whose last verification met everything: build 4 s (target ≤ 5), tests and the held-out check pass. */
function achieved(): GoalRun {
  const run = GoalRun.create('goal-1', spec(), T0);
  run.recordBaseline([metric('build_seconds', 10)], [check('tests', false)], 'fp0', T0 + 1);
  run.beginTurn();
  run.recordExtras([check('hidden', true)], []);
  run.recordVerification([metric('build_seconds', 4)], [check('tests', true)], 'fp1', true, T0 + 2);
  return run;
}

/** The state a version-1 worker carried: the same fields, marked version 1. */
function asV1(run: GoalRun): Record<string, unknown> {
  return { ...(JSON.parse(JSON.stringify(run.state)) as Record<string, unknown>), v: 1 };
}

describe('migrateState', () => {
  test('a version-1 state becomes the current version with everything else as it was', () => {
    const run = achieved();
    const migrated = migrateState(asV1(run));
    expect(STATE_VERSION).toBe(2);
    expect(migrated).toEqual(run.state);
    expect(migrated.v).toBe(2);
  });

  test('a version-1 state from before the late fields gets each as a new goal starts with it', () => {
    const fresh = GoalRun.create('goal-1', spec(), T0).state;
    const old = asV1(new GoalRun(fresh));
    for (const field of LATE_V1_FIELDS) delete old[field];
    expect(migrateState(old)).toEqual(fresh);
  });

  test('a version-1 spec without git gets the goal branch named after the goal', () => {
    const old = asV1(GoalRun.create('goal-7', spec(), T0));
    delete (old.spec as Record<string, unknown>).git;
    delete old.milestones;
    expect(migrateState(old).milestones).toEqual({ branch: 'longhaul/goal-7', last: null, count: 0 });
  });

  test('the state a recorded goal carried into continue-as-new (version 1, before hosts) migrates', () => {
    const second = loadHistories().find((h) => h.file === 'continue-as-new.run-2.json');
    const history = second?.history as History;
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = defaultPayloadConverter.fromPayload<{ state: { v: number; host?: unknown } }>(payload!);
    expect(input.state.v).toBe(1);
    expect(input.state.host).toBeUndefined();
    const run = GoalRun.restore(input.state);
    expect(run.state.v).toBe(2);
    expect(run.state.host).toEqual({ name: null, lostSince: null, move: null, lastMove: null, moves: 0 });
    expect(run.view(run.state.startedAt).goalId).toBe('continue-as-new');
  });

  test('a current state passes as it is', () => {
    const run = achieved();
    expect(migrateState(run.state)).toBe(run.state);
  });

  test('a state written by a newer worker is refused, naming its version and what to do', () => {
    const newer = { ...achieved().state, v: 3 };
    expect(() => migrateState(newer)).toThrow(UnknownStateVersionError);
    expect(() => GoalRun.restore(newer)).toThrow(
      /version 3, which this worker does not know \(it reads versions 1 to 2\): run a worker at least as new/,
    );
  });

  test('something that is not a goal state is refused', () => {
    for (const bad of [null, undefined, 'state', {}, { v: '1' }])
      expect(() => migrateState(bad)).toThrow(UnknownStateVersionError);
  });
});

describe('Slack and the hourly refresh', () => {
  test("Slack's answer with the thread is kept, and clears an earlier reason Slack was off", () => {
    const run = achieved();
    run.slackOff('SLACK_BOT_TOKEN is not set on the worker');
    run.slackThread('C123', '1700000000.000100');
    expect(run.state.slack).toEqual({ channel: 'C123', parentTs: '1700000000.000100', off: null });
  });

  test('a worker without a token turns Slack off and drops the events queued for it', () => {
    const run = achieved();
    expect(run.state.outbox.length).toBeGreaterThan(0);
    run.slackOff('SLACK_BOT_TOKEN is not set on the worker');
    expect(run.state.slack.off).toBe('SLACK_BOT_TOKEN is not set on the worker');
    expect(run.state.outbox).toEqual([]);
  });

  test('a configuration error turns Slack off with a warning and keeps the queued events for the next try', () => {
    const run = achieved();
    const queued = run.state.outbox.length;
    run.slackMisconfigured('channel_not_found', T0 + 10);
    expect(run.state.slack.off).toBe('Slack: channel_not_found');
    expect(run.state.warnings).toEqual(['Slack: channel_not_found']);
    expect(run.state.lastEvent).toEqual({ at: T0 + 10, text: 'warning: Slack: channel_not_found' });
    expect(run.state.outbox).toHaveLength(queued);
  });

  test('the hourly refresh is counted and tries Slack again', () => {
    const run = achieved();
    run.slackMisconfigured('channel_not_found', T0 + 10);
    run.refreshed(T0 + 3_600_000);
    run.refreshed(T0 + 7_200_000);
    expect(run.state).toMatchObject({ lastRefreshAt: T0 + 7_200_000, refreshes: 2 });
    expect(run.state.slack.off).toBeNull();
    expect(run.view(T0 + 7_200_000).refreshes).toBe(2);
  });
});

describe('the review and the clean-up', () => {
  const ending = { status: 'achieved', reason: 'all criteria met' } as const;

  test('the reflection is kept for the report and shown to the agent at the first clean-up turn only', () => {
    const run = achieved();
    run.recordReflection('the cache flag did nothing', T0 + 20);
    expect(run.state.finalization.reflection).toBe('the cache flag did nothing');
    expect(run.state.lastEvent?.text).toBe('reflected on the attempts');
    run.takeNotes();
    run.noteCleanupTurn(ending, 1, 3);
    const [first] = run.takeNotes();
    expect(first).toMatch(/^FINALIZING — clean-up turn 1 of 3\. The goal has ended \(achieved: all criteria met\)/);
    expect(first).toContain('Your review of the attempts:\nthe cache flag did nothing');
    run.noteCleanupTurn(ending, 2, 3);
    const [second] = run.takeNotes();
    expect(second).toMatch(/^FINALIZING — clean-up turn 2 of 3/);
    expect(second).not.toContain('Your review');
  });

  test('a clean-up that changed nothing, one that was kept, and one that was reverted are each recorded', () => {
    const run = achieved();
    run.cleanupChangedNothing(1);
    expect(run.state.finalization.cleanup).toEqual({
      ran: true,
      turns: 1,
      kept: true,
      reason: 'the clean-up changed nothing',
    });

    run.cleanupKept(2, T0 + 30);
    expect(run.state.finalization.cleanup).toEqual({ ran: true, turns: 2, kept: true, reason: null });
    expect(run.state.lastEvent?.text).toBe('clean-up kept: the criteria still hold as before');

    run.cleanupReverted(3, 'check "tests" fails', 'c'.repeat(40), T0 + 40);
    expect(run.state.finalization.cleanup).toEqual({
      ran: true,
      turns: 3,
      kept: false,
      reason: 'reverted: check "tests" fails',
    });
    expect(run.state.attention?.text).toBe(
      `the clean-up broke the goal (check "tests" fails); it was reverted to ${'c'.repeat(10)}`,
    );
  });

  test('nothing is broken while every criterion that held still holds', () => {
    const run = achieved();
    const before = run.cleanupStart(true);
    expect([...before.met]).toEqual(['build_seconds']);
    expect([...before.passing]).toEqual(['tests']);
    expect([...before.holdout]).toEqual(['hidden']);
    expect(run.cleanupBroke(before, round())).toBeNull();
  });

  test('a lost metric, a failing check and a failing held-out check are each named; the held-out one stays unnamed', () => {
    const run = achieved();
    const before = run.cleanupStart(true);
    const broken = run.cleanupBroke(
      before,
      round({
        metrics: [metric('build_seconds', 6)],
        checks: [check('tests', false)],
        holdout: [check('hidden', false)],
      }),
    );
    expect(broken).toBe('metric build_seconds no longer meets its target; check "tests" fails; a held-out check fails');
  });

  test('an achieved goal whose criteria no longer all hold is broken, even if nothing that held before was lost', () => {
    const run = achieved();
    const before = { ...run.cleanupStart(true), passing: new Set<string>() };
    expect(run.cleanupBroke(before, round({ checks: [check('tests', false)] }))).toBe(
      'the criteria no longer all hold',
    );
    // A goal that was not achieved only must not lose what held.
    expect(run.cleanupBroke({ ...before, achieved: false }, round({ checks: [check('tests', false)] }))).toBeNull();
  });

  test('a clean-up that touched protected files is broken by that alone', () => {
    expect(
      cleanupTampered([
        { path: 'test/build.test.js', change: 'modified' },
        { path: 'bench.sh', change: 'deleted' },
      ]),
    ).toBe('it changed protected files: test/build.test.js, bench.sh');
  });
});

describe('the report and the push', () => {
  test('the final report is recorded where it was written', () => {
    const run = achieved();
    run.recordReport({ markdown: '/home/goals/goal-1/REPORT.md', html: '/home/goals/goal-1/report.html' });
    expect(run.view(T0 + 50).finalization.report).toEqual({
      markdown: '/home/goals/goal-1/REPORT.md',
      html: '/home/goals/goal-1/report.html',
    });
  });

  test('a push that fails needs attention once per distinct error; a later success is recorded', () => {
    const run = achieved();
    run.recordPush(false, 'rejected: non-fast-forward', T0 + 60);
    expect(run.state.finalization.push).toEqual({ pushed: false, error: 'rejected: non-fast-forward' });
    expect(run.state.attention?.text).toBe('push failed: rejected: non-fast-forward');
    const alerts = () => run.state.events.filter((e) => e.kind === 'attention').length;
    const once = alerts();
    run.recordPush(false, 'rejected: non-fast-forward', T0 + 61);
    expect(alerts()).toBe(once);
    run.recordPush(false, 'could not resolve host', T0 + 62);
    expect(alerts()).toBe(once + 1);
    run.recordPush(true, null, T0 + 63);
    expect(run.state.finalization.push).toEqual({ pushed: true, error: null });
    expect(alerts()).toBe(once + 1);
  });
});

describe('what a verification round means', () => {
  test("the judge sees each metric's value and verdict, each check, and each command checklist item's reason", () => {
    const r = round({
      metrics: [metric('build_seconds', 4), { ...metric('speedup', null), verdict: 'NOT_MET' }],
      checks: [check('tests', true), check('lint', false)],
      checklist: [commandVerdict('docs updated', 'test -f CHANGELOG.md', { passed: true, exitCode: 0 })],
    });
    expect(judgeEvidence(r)).toEqual([
      'metric build_seconds: 4',
      'metric speedup: n/a (NOT_MET)',
      'check "tests": passes',
      'check "lint": fails',
      'checklist "docs updated": `test -f CHANGELOG.md` exits 0',
    ]);
  });

  test('a checklist command verifies its item when it exits 0, and says how it ended otherwise', () => {
    expect(commandVerdict('no TODOs', 'grep -q TODO src', { passed: false, exitCode: 1 })).toEqual({
      item: 'no TODOs',
      verified: false,
      by: 'command',
      reason: '`grep -q TODO src` exited 1',
    });
    expect(commandVerdict('no TODOs', 'x', { passed: false, exitCode: null }).reason).toBe('`x` exited by a signal');
  });

  test('a check failing at baseline is a warning that the goal must make it pass', () => {
    expect(failsAtBaselineWarning('tests')).toBe(
      'check "tests" fails at baseline, before any change: the goal must make it pass',
    );
  });

  const relative = spec({
    metrics: [{ name: 'latency', command: 'bench', direction: 'lower', target: { relative: -0.1 } }],
  }).metrics[0]!;

  test('relative targets on noisy metrics are paired; absolute ones are not', () => {
    expect(isPaired(relative)).toBe(true);
    expect(isPaired(spec().metrics[0]!)).toBe(false);
  });

  test('paired runs that clearly beat the target are MET, with the median candidate as the value', () => {
    const pairs = Array.from({ length: 10 }, (_, i) => ({ baseline: 100, candidate: 70 + i }));
    expect(pairedOutcome(relative, -0.1, pairs, 500)).toEqual({
      result: {
        name: 'latency',
        value: 74.5,
        samples: 10,
        durationMs: 500,
        verdict: 'MET',
        pairs: { passes: 10, n: 10 },
      },
    });
  });

  test('undecided paired runs ask for more pairs, and at the cap count as not met', () => {
    const mixed = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ baseline: 100, candidate: i % 2 === 0 ? 80 : 100 }));
    expect(pairedOutcome(relative, -0.1, mixed(10), 1)).toEqual({ morePairs: expect.any(Number) });
    const atCap = pairedOutcome(relative, -0.1, mixed(30), 1);
    expect(atCap).toMatchObject({ result: { verdict: 'NOT_MET', pairs: { n: 30 } } });
  });

  test('a target inside the A/A noise is warned about; one well outside it, or no finite pair, is not', () => {
    const noisy = [0.8, 1.2, 0.85, 1.15, 0.9].map((f) => ({ baseline: 100, candidate: 100 * f }));
    expect(noiseWarning(relative, noisy)).toMatch(
      /^metric latency: the target \(-10%\) is within the measurement noise \(±\d+\.\d% between identical runs\); verdicts may stay INCONCLUSIVE/,
    );
    const steady = [1, 1.001, 0.999, 1, 1.0005].map((f) => ({ baseline: 100, candidate: 100 * f }));
    expect(noiseWarning(relative, steady)).toBeNull();
    expect(noiseWarning(relative, [{ baseline: NaN, candidate: 100 }])).toBeNull();
  });

  test('the run records the noise warning as a warning for the user', () => {
    const run = GoalRun.create('goal-1', spec(), T0);
    const noisy = [0.8, 1.2, 0.85, 1.15, 0.9].map((f) => ({ baseline: 100, candidate: 100 * f }));
    run.recordNoise(relative, noisy, T0 + 5);
    expect(run.state.warnings).toHaveLength(1);
    expect(run.state.warnings[0]).toMatch(/^metric latency: the target/);
  });
});
