import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { commitFinalReport } from '../activities/reporting/report/commit';
import { splitRisks, usd } from '../activities/reporting/report/content';
import { renderFinalReport, REPORT_FILES, reportPaths, writeFinalReport } from '../activities/reporting/report/final';
import { sampleRecord } from '../activities/verification/sample';
import { goalDir } from '../common/goal-files';
import { FileGoalStore } from '../activities/store/files';
import type { GoalStore } from '../activities/store/types';
import { GoalRun } from '../goal/run';
import { formatValue } from '../goal/values';
import { parseGoalSpec } from '../goal/spec';
import type { GoalStatusView, MetricStatus } from '../goal/status';
import { gitWorkspace, tempDir as makeTempDir } from './helpers/workspace';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const MIN = 60_000;
const GOAL = 'goal-final';
const START = '0123456789abcdef0123456789abcdef01234567';

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const metric = (name: string, value: number | null, extra: object = {}) => ({
  name,
  value,
  samples: 3,
  durationMs: 10,
  ...extra,
});
const check = (name: string, passed: boolean) => ({
  name,
  passed,
  exitCode: passed ? 0 : 1,
  excerpt: '',
  durationMs: 5,
});

/** A goal with a paired metric and a threshold one, a check, a held-out check and a checklist item. */
function goalRun(workspace = '/work/app', startCommit = START): GoalRun {
  const spec = parseGoalSpec({
    objective: 'Make the build fast and keep the tests green',
    workspace,
    metrics: [
      { name: 'build_seconds', command: 'sh build.sh', direction: 'lower', target: { relative: -0.3 } },
      {
        name: 'score',
        command: 'sh score.sh',
        measure: 'stdout_number',
        pattern: '(\\d+)',
        direction: 'higher',
        target: { absolute: 90 },
      },
    ],
    checks: [{ name: 'tests', command: 'npm test' }],
    holdout: [{ name: 'secret-cases', command: 'node /elsewhere/cases.js' }],
    checklist: ['the README documents the --fast flag'],
    model: { name: 'test-model', price: { inputPerMTok: 2, outputPerMTok: 8 } },
    budget: { maxTurns: 40, maxCostUsd: 5 },
  });
  const run = GoalRun.create(GOAL, spec, T0);
  run.setStartCommit(startCommit);
  run.recordBaseline([metric('build_seconds', 11), metric('score', 40)], [check('tests', true)], 'fp0', T0 + MIN);
  return run;
}

/** Two turns, an edit of a target in between, a verification that meets everything, a milestone, the end. */
function achievedView(): GoalStatusView {
  const run = goalRun();
  run.beginTurn();
  run.recordModelTurn({ inputTokens: 120_000, outputTokens: 3_000, totalTokens: 123_000 }, 4, T0 + 2 * MIN);
  run.queueEdit({ targets: { score: { absolute: 85 } }, reason: 'good enough for the release' }, T0 + 3 * MIN);
  run.beginTurn();
  run.applyPendingEdits(T0 + 4 * MIN);
  run.recordModelTurn({ inputTokens: 80_000, outputTokens: 2_000, totalTokens: 82_000 }, 2, T0 + 5 * MIN);
  run.recordExtras(
    [check('secret-cases', true)],
    [{ item: 'the README documents the --fast flag', verified: true, by: 'judge', reason: 'section "Flags"' }],
  );
  run.recordVerification(
    [metric('build_seconds', 7.25, { verdict: 'MET', pairs: { passes: 9, n: 10 } }), metric('score', 88)],
    [check('tests', true)],
    'fp1',
    true,
    T0 + 6 * MIN,
  );
  run.recordMilestone('feedface'.repeat(5), 'faster build', T0 + 6 * MIN);
  run.finish('achieved', 'every criterion is met', T0 + 7 * MIN);
  return run.view(T0 + 7 * MIN);
}

/** The ledger of the goal: baseline and one verification; build_seconds by paired runs. */
async function writeLedger(store: GoalStore): Promise<void> {
  const samples = (name: string, label: string, values: number[]) =>
    values.map((v, index) =>
      sampleRecord(
        { value: { ok: true, value: v }, exitCode: 0, durationMs: 12 },
        { kind: 'sample', goalId: GOAL, metric: name, label, commit: 'c0ffee', index },
      ),
    );
  const pairs = (label: string, values: [number, number][]) =>
    values.flatMap(([baseline, candidate], pair) =>
      (['baseline', 'candidate'] as const).map((role) =>
        sampleRecord(
          { value: { ok: true, value: role === 'baseline' ? baseline : candidate }, exitCode: 0, durationMs: 9 },
          { kind: 'paired-sample', goalId: GOAL, metric: 'build_seconds', label, role, pair, commit: 'c0ffee' },
        ),
      ),
    );
  await store.appendLedger(GOAL, samples('build_seconds', 'baseline', [10, 11, 12]));
  await store.appendLedger(GOAL, samples('score', 'baseline', [40, 41, 39]));
  await store.appendLedger(GOAL, pairs('turn 2', [...Array<[number, number]>(9).fill([11, 7.25]), [11, 10.9]]));
  await store.appendLedger(GOAL, samples('score', 'turn 2', [88, 87, 89]));
}

const REFLECTION = [
  '## What I tried',
  'Caching the dependency graph: worked (−30%).',
  'Parallel minification <script>alert("x")</script>: did not help, reverted.',
  '',
  '## Remaining risks',
  '- the cache key ignores env vars',
  '',
].join('\n');

function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}`);
  if (start < 0) throw new Error(`no section ${title} in:\n${md}`);
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end < 0 ? undefined : end);
}

/** The figures of a metric as the report must state them, taken from the view. */
function metricFigures(m: MetricStatus): string {
  return `metric ${m.name}: baseline ${formatValue(m.baseline)} → final ${formatValue(m.latest)} (best ${formatValue(m.best)}`;
}

describe('the final report', () => {
  test('states the outcome with the figures of the status view: baseline, final, best, pairs, verdicts', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const view = achievedView();
    const { markdown } = renderFinalReport(
      { goalId: GOAL, view, reflection: REFLECTION, cleanup: null },
      await store.readLedger(GOAL),
    );

    expect(markdown.split('\n')[0]).toBe(`# Final report: goal ${GOAL} (ACHIEVED)`);
    const outcome = section(markdown, 'Outcome and final verdicts');
    for (const m of view.metrics) expect(outcome).toContain(metricFigures(m));
    const [build, score] = view.metrics;
    expect(build!.pairs).toEqual({ passes: 9, n: 10 });
    expect(outcome).toContain(
      '- metric build_seconds: baseline 11 → final 7.25 (best 7.25; −34.1% from baseline), target ≤ 7.7: MET (9/10 pairs past target)',
    );
    expect(score!.target).toBe(85); // the edited target
    expect(outcome).toContain(
      '- metric score: baseline 40 → final 88 (best 88; +120.0% from baseline), target ≥ 85: MET',
    );
    expect(outcome).toContain('- check tests: baseline pass → final pass');
    expect(outcome).toContain('- held-out check secret-cases: final pass');
    expect(outcome).toContain('- checklist "the README documents the --fast flag": verified by judge: section "Flags"');

    const measurements = section(markdown, 'Measurements');
    expect(measurements).toContain('4 measurement(s) in the ledger: 4 of metrics, 0 check run(s).');
    expect(measurements).toContain('first: baseline, ');
    expect(measurements).toContain(': build_seconds = 11 over 3 sample(s)');
    expect(measurements).toContain('last: turn 2, ');
    expect(measurements).toContain(': score = 88 over 3 sample(s)');
  });

  test('the cost and the milestones are the view’s: turns, tokens in/out/total, USD and its limit, hours', () => {
    const view = achievedView();
    const { markdown } = renderFinalReport({
      goalId: GOAL,
      view,
      reflection: null,
      cleanup: null,
      tokens: { input: 200_000, output: 5_000 },
    });
    const cost = section(markdown, 'Cost');
    expect(view.budget.tokens.used).toBe(205_000);
    expect(cost).toContain(`- turns: ${view.budget.turns.used} of ${view.budget.turns.limit}`);
    expect(cost).toContain('- turns: 2 of 40');
    expect(cost).toContain(`- tokens: ${view.budget.tokens.used} total (in 200000, out 5000) (no limit)`);
    expect(view.budget.cost.used).toBeCloseTo(0.44); // 200k × $2/M + 5k × $8/M
    expect(cost).toContain(`- cost: ${usd(view.budget.cost.used)} of $5.00`);
    expect(cost).toContain('- cost: $0.44 of $5.00');
    expect(cost).toContain(`- hours: ${view.budget.hours.used.toFixed(2)} (no limit)`);
    expect(cost).toContain('- side questions: 0');
    expect(cost).toContain('- model: test-model');

    const milestones = section(markdown, 'Milestones');
    expect(milestones).toContain(`- branch longhaul/${GOAL}: 1 milestone commit(s), the last ${'feedface'.repeat(5)}`);
    expect(milestones).toContain(`git log 0123456789ab..longhaul/${GOAL}`);
  });

  test('lists the objective and criteria as they ended, with each edit and the version it made', () => {
    const { markdown } = renderFinalReport({ goalId: GOAL, view: achievedView(), reflection: null, cleanup: null });
    const criteria = section(markdown, 'Objective and criteria');
    expect(criteria).toContain('> Make the build fast and keep the tests green');
    expect(criteria).toContain('goal version 2, after 1 edit(s)');
    expect(criteria).toContain('- metric score: higher is better, target ≥ 85');
    expect(criteria).toMatch(
      /- edit to version 2 \(turn 2, 2025-01-02 03:08:05Z\): .*score.*\(reason: good enough for the release\)/,
    );
  });

  test('the reflection is what was tried; its risks section becomes the remaining risks', () => {
    const { markdown } = renderFinalReport({
      goalId: GOAL,
      view: achievedView(),
      reflection: REFLECTION,
      cleanup: { ran: true, turns: 2, kept: true, reason: null },
      attempts: [{ what: 'cache the dependency graph', worked: true, turn: 1 }],
    });
    const tried = section(markdown, 'What was tried, what worked');
    expect(tried).toContain('> Caching the dependency graph: worked (−30%).');
    // Model text stays text: quoted, and markup defused.
    expect(tried).toContain('> Parallel minification &lt;script&gt;alert("x")&lt;/script&gt;: did not help, reverted.');
    expect(tried).not.toContain('cache key'); // moved to the risks
    expect(tried).toContain('| 1 | cache the dependency graph | yes |');
    const risks = section(markdown, 'Remaining risks');
    expect(risks).toContain('> - the cache key ignores env vars');
    expect(risks).not.toContain('On record'); // everything met: nothing to add
    expect(section(markdown, 'Clean-up')).toContain('ran for 2 turn(s); its changes were kept');
    expect(markdown).not.toMatch(/<script/i);
  });

  test('the HTML page escapes the reflection and has a chart per metric, self-contained', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const { html } = renderFinalReport(
      {
        goalId: GOAL,
        view: achievedView(),
        reflection: `${REFLECTION}\n</div><script>alert(1)</script><img src=x onerror=alert(2)>`,
        cleanup: null,
        attempts: [{ what: '<script>steal()</script>', worked: false }],
      },
      await store.readLedger(GOAL),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;steal()&lt;/script&gt;');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('MET (9/10 pairs past target)');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
  });

  test('without a reflection: "no reflection", and the risks come from the record', () => {
    const run = goalRun();
    run.beginTurn();
    run.warn('the target of build_seconds lies inside the measurement noise', T0 + 2 * MIN);
    run.recordIntegrityViolation([{ path: 'test/cases.test.js', change: 'modified' }], ['test/cases.test.js'], T0);
    run.recordExtras([check('secret-cases', false)], []);
    run.recordVerification(
      [metric('build_seconds', 9.5), metric('score', 91)],
      [check('tests', true)],
      'fp1',
      false,
      T0 + 3 * MIN,
    );
    run.finish('budget_exhausted', 'turn budget spent', T0 + 4 * MIN);
    const { markdown } = renderFinalReport({
      goalId: GOAL,
      view: run.view(T0 + 4 * MIN),
      reflection: null,
      cleanup: { ran: true, turns: 1, kept: false, reason: 'reverted: check tests failed after clean-up' },
    });
    expect(markdown.split('\n')[0]).toBe(`# Final report: goal ${GOAL} (BUDGET EXHAUSTED)`);
    expect(section(markdown, 'What was tried, what worked')).toContain('_no reflection: the agent wrote none_');
    expect(section(markdown, 'Clean-up')).toContain(
      'ran for 1 turn(s); its changes were reverted: check tests failed after clean-up',
    );
    const risks = section(markdown, 'Remaining risks');
    expect(risks).toContain('- metric build_seconds: baseline 11 → final 9.5');
    expect(risks).toContain('- held-out check secret-cases fails');
    expect(risks).toContain('- checklist "the README documents the --fast flag" was not verified');
    expect(risks).toContain('- warning: the target of build_seconds lies inside the measurement noise');
    expect(risks).toContain('1 attempt(s) to change the 0 protected file(s), each undone');
    expect(risks).toContain('- the clean-up was reverted (reverted: check tests failed after clean-up)');
    expect(risks).not.toContain('score'); // met: no risk
    expect(section(markdown, 'Measurements')).toContain('_nothing was measured_');
  });

  test('no clean-up: said so', () => {
    const { markdown } = renderFinalReport({ goalId: GOAL, view: achievedView(), reflection: null, cleanup: null });
    expect(section(markdown, 'Clean-up')).toContain('_no clean-up ran_');
    const skipped = renderFinalReport({
      goalId: GOAL,
      view: achievedView(),
      reflection: null,
      cleanup: { ran: false, turns: 0, kept: false, reason: 'nothing to clean' },
    });
    expect(section(skipped.markdown, 'Clean-up')).toContain('not run: nothing to clean');
  });

  test('a cancelled goal gets a short report: cancelled at turn N, and where it stood', () => {
    const run = goalRun();
    run.beginTurn();
    run.recordModelTurn({ inputTokens: 1_000, outputTokens: 100, totalTokens: 1_100 }, 1, T0 + 2 * MIN);
    run.beginTurn();
    run.setFrontier({ done: 'profiling', remaining: 'the <cache>', next: 'try a cache' });
    run.recordVerification(
      [metric('build_seconds', 9), metric('score', 60)],
      [check('tests', false)],
      'fp1',
      false,
      T0 + 3 * MIN,
    );
    run.finish('cancelled', 'cancelled by the user', T0 + 4 * MIN);
    const view = run.view(T0 + 4 * MIN);
    const { markdown, html } = renderFinalReport({ goalId: GOAL, view, reflection: null, cleanup: null });

    expect(markdown.split('\n')[0]).toBe(`# Final report: goal ${GOAL} (CANCELLED)`);
    expect(markdown).toContain(
      'Cancelled at turn 2 (cancelled by the user); where it stood: build_seconds 9 (baseline 11, best 9, target ≤ 7.7, NOT_MET); score 60 (baseline 40, best 60, target ≥ 90, NOT_MET); check tests FAILS; progress ',
    );
    expect(markdown).toContain("The agent's last account (turn 2): done: profiling; remaining: the &lt;cache&gt;");
    expect(section(markdown, 'Where it stood')).toContain(metricFigures(view.metrics[0]!));
    expect(section(markdown, 'Cost')).toContain('- tokens: 1100 total (no limit)');
    expect(markdown).toContain('## Milestones');
    for (const long of ['Measurements', 'What was tried', 'Clean-up', 'Remaining risks', 'Objective and criteria']) {
      expect(markdown).not.toContain(`## ${long}`);
    }
    expect(markdown.split('\n').length).toBeLessThan(40);
    expect(html).toContain('Cancelled at turn 2');
    expect(html).not.toContain('&lt;cache&gt;&gt;');
  });

  test('writes REPORT.md and report.html atomically into the goal folder; the same input gives the same bytes', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    await writeLedger(store);
    const input = { goalId: GOAL, view: achievedView(), reflection: REFLECTION, cleanup: null };
    const paths = await writeFinalReport(store, store.home, input);
    expect(paths).toEqual(reportPaths(store.home, GOAL));
    expect(path.basename(paths.markdown)).toBe(REPORT_FILES.markdown);
    expect(path.dirname(paths.html)).toBe(goalDir(store.home, GOAL));
    const first = readFileSync(paths.markdown, 'utf8');
    expect(first).toBe(renderFinalReport(input, await store.readLedger(GOAL)).markdown);

    await writeFinalReport(store, store.home, input);
    expect(readFileSync(paths.markdown, 'utf8')).toBe(first);
    expect(readdirSync(goalDir(store.home, GOAL)).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readFileSync(paths.html, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
  });

  test('a write that fails leaves no temp file and the earlier file whole', async () => {
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const input = { goalId: GOAL, view: achievedView(), reflection: null, cleanup: null };
    const { markdown } = reportPaths(store.home, GOAL);
    mkdirSync(path.join(goalDir(store.home, GOAL), REPORT_FILES.html), { recursive: true }); // a folder where a file must go
    await expect(writeFinalReport(store, store.home, input)).rejects.toThrow(/EISDIR|directory/);
    expect(readFileSync(markdown, 'utf8')).toContain('# Final report');
    expect(readdirSync(goalDir(store.home, GOAL)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('a risks section is found under a Markdown heading, a bold line or a "Risks:" line', () => {
    expect(splitRisks('tried A\n**Risks**\n- flaky\n**Next**\nmore')).toEqual({
      rest: 'tried A\n**Next**\nmore',
      risks: '- flaky',
    });
    expect(splitRisks('Worked:\nA\nRisks:\nB')).toEqual({ rest: 'Worked:\nA', risks: 'B' });
    expect(splitRisks('The risk of regressions is low.')).toEqual({
      rest: 'The risk of regressions is low.',
      risks: null,
    });
  });
});

describe('the final report on the goal branch', () => {
  test('is committed with the workspace files, never written into the workspace, held-out checks unnamed', async () => {
    const ws = gitWorkspace({ 'app.js': 'console.log(1);\n' });
    tempDirs.push(ws);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ws, encoding: 'utf8' });
    const start = git('rev-parse', 'HEAD').trim();
    const store = new FileGoalStore(tempDir('longhaul-home-'));
    const run = goalRun(ws, start);
    run.recordExtras([check('secret-cases', false)], []);
    run.finish('stalled', 'no progress in 10 turns', T0 + 5 * MIN);
    const report = { goalId: GOAL, view: run.view(T0 + 5 * MIN), reflection: 'I tried things.', cleanup: null };
    const status = git('status', '--porcelain');

    const first = await commitFinalReport(store, { report });
    const again = await commitFinalReport(store, { report });

    expect(first.created).toBe(true);
    expect(again).toEqual({ commit: first.commit, created: false });
    const committed = git('show', `longhaul/${GOAL}:REPORT.md`);
    expect(committed).toContain('# Final report: goal goal-final (STALLED)');
    expect(committed).toContain('held-out check #1 fails');
    expect(committed).not.toContain('secret-cases');
    expect(git('show', `longhaul/${GOAL}:app.js`)).toBe('console.log(1);\n');
    expect(existsSync(path.join(ws, 'REPORT.md'))).toBe(false);
    expect(git('status', '--porcelain')).toBe(status);
    expect(git('log', '-1', '--format=%s', `longhaul/${GOAL}`).trim()).toBe('stalled: final report');
  });
});
