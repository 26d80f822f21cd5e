import {
  InvalidEditError,
  applyEditToSpec,
  describeChanges,
  metricsToRebaseline,
  parseGoalEdit,
  type Spent,
} from '../goal/edit';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';

const NOTHING_SPENT: Spent = { turns: 0, tokens: 0, hours: 0 };

/** build_seconds (relative, lower), coverage (absolute, higher), one check, turn and token budget. */
function base(over: Record<string, unknown> = {}): GoalSpec {
  return parseGoalSpec({
    objective: 'make the build fast',
    workspace: '/repo',
    guidance: 'keep the public API',
    metrics: [
      { name: 'build_seconds', command: 'npm run build', direction: 'lower', target: { relative: -0.5 } },
      {
        name: 'coverage',
        command: 'npm run cov',
        measure: 'stdout_number',
        pattern: '(\\d+)%',
        direction: 'higher',
        target: { absolute: 80 },
      },
    ],
    checks: [{ name: 'tests', command: 'npm test' }],
    budget: { maxTurns: 20, maxTokens: 100_000 },
    ...over,
  });
}

/** The problems of the InvalidEditError thrown by `f`; fails when it throws nothing or something else. */
function problemsOf(f: () => unknown): readonly string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidEditError) return e.problems;
    throw e;
  }
  throw new Error('expected an InvalidEditError, but nothing was thrown');
}

function apply(spec: GoalSpec, edit: unknown, spent: Spent = NOTHING_SPENT): GoalSpec {
  return applyEditToSpec(spec, parseGoalEdit(edit), spent);
}

const MUST_CHANGE =
  '(spec): an edit must change something: objective, guidance, metrics, targets, checks, checklist, editable or budget';

describe('parseGoalEdit', () => {
  test('accepts a one-field edit, trimming the objective and the reason', () => {
    expect(parseGoalEdit({ objective: '  halve the build time ', reason: '  the CI bill  ' })).toEqual({
      objective: 'halve the build time',
      reason: 'the CI bill',
    });
  });

  test('applies the spec defaults to replacement metrics and checks', () => {
    expect(
      parseGoalEdit({
        metrics: [{ name: 'size', command: 'du -b dist', direction: 'lower', target: { absolute: 1000 } }],
        checks: [{ name: 'lint', command: 'npm run lint' }],
      }),
    ).toEqual({
      metrics: [
        {
          name: 'size',
          command: 'du -b dist',
          measure: 'wall_time',
          direction: 'lower',
          target: { absolute: 1000 },
          timeoutSeconds: 600,
        },
      ],
      checks: [{ name: 'lint', command: 'npm run lint', timeoutSeconds: 900 }],
    });
  });

  test('an empty guidance is accepted (it clears the guidance)', () => {
    expect(parseGoalEdit({ guidance: '' })).toEqual({ guidance: '' });
  });

  test('an edit with nothing in it, or only a reason, is refused', () => {
    expect(problemsOf(() => parseGoalEdit({}))).toEqual([MUST_CHANGE]);
    expect(problemsOf(() => parseGoalEdit({ reason: 'because' }))).toEqual([MUST_CHANGE]);
  });

  test('unknown fields are named, at the top level and inside the budget', () => {
    expect(problemsOf(() => parseGoalEdit({ objectve: 'typo' }))).toEqual([
      'unknown field "objectve": remove or fix the spelling',
      MUST_CHANGE,
    ]);
    expect(problemsOf(() => parseGoalEdit({ budget: { maxTurns: 0, turns: 5 } }))).toEqual([
      'budget.maxTurns: Too small: expected number to be >=1',
      'budget: unknown field "turns": remove or fix the spelling',
    ]);
  });

  test('every bad field is named with its fix', () => {
    expect(problemsOf(() => parseGoalEdit({ objective: '   ' }))).toEqual(['objective: objective must not be empty']);
    expect(problemsOf(() => parseGoalEdit({ targets: { build_seconds: { relative: 0 } } }))).toEqual([
      'targets.build_seconds.relative: a relative target of 0 is no goal: use e.g. -0.30 for "30% lower"',
    ]);
    expect(problemsOf(() => parseGoalEdit({ targets: { build_seconds: { percent: 30 } } }))).toEqual([
      'targets.build_seconds: target must be { absolute: NUMBER } or { relative: FRACTION } (e.g. { relative: -0.30 } for 30% lower)',
    ]);
    expect(
      problemsOf(() =>
        parseGoalEdit({ metrics: [{ name: '1st', command: ' ', direction: 'down', target: { absolute: 1 } }] }),
      ),
    ).toEqual([
      'metrics[0].name: use letters, digits, "_", "-" or "." (max 64), starting with a letter',
      'metrics[0].command: command must not be empty',
      'metrics[0].direction: direction must be "lower" or "higher"',
    ]);
    expect(problemsOf(() => parseGoalEdit({ objective: 'x', reason: 'r'.repeat(1001) }))).toEqual([
      'reason: Too big: expected string to have <=1000 characters',
    ]);
  });

  test('a cost budget must be a positive number of dollars', () => {
    expect(parseGoalEdit({ budget: { maxCostUsd: 12.5 } })).toEqual({ budget: { maxCostUsd: 12.5 } });
    expect(problemsOf(() => parseGoalEdit({ budget: { maxCostUsd: 0 } }))).toEqual([
      'budget.maxCostUsd: Too small: expected number to be >0',
    ]);
    expect(problemsOf(() => parseGoalEdit({ budget: { maxCostUsd: -2 } }))).toEqual([
      'budget.maxCostUsd: Too small: expected number to be >0',
    ]);
    expect(problemsOf(() => parseGoalEdit({ budget: { maxCostUsd: '5' } }))).toEqual([
      'budget.maxCostUsd: Invalid input: expected number, received string',
    ]);
  });

  test('input that is not an object is refused', () => {
    expect(problemsOf(() => parseGoalEdit(5))).toEqual(['(spec): Invalid input: expected object, received number']);
    expect(problemsOf(() => parseGoalEdit(null))).toEqual(['(spec): Invalid input: expected object, received null']);
  });

  test('InvalidEditError says the goal is unchanged and lists each problem', () => {
    const error = new InvalidEditError(['first problem', 'second problem']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEditError');
    expect(error.problems).toEqual(['first problem', 'second problem']);
    expect(error.message).toBe('edit rejected, the goal is unchanged:\n  - first problem\n  - second problem');
  });
});

describe('applyEditToSpec', () => {
  test('a new objective changes only the objective', () => {
    expect(apply(base(), { objective: 'make the build faster' })).toEqual({
      ...base(),
      objective: 'make the build faster',
    });
  });

  test('the reason is not part of the spec', () => {
    expect(apply(base(), { objective: 'o2', reason: 'why' })).not.toHaveProperty('reason');
  });

  test('guidance is replaced, and "" clears it', () => {
    expect(apply(base(), { guidance: 'only touch src/' }).guidance).toBe('only touch src/');
    const cleared = apply(base(), { guidance: '' });
    expect(cleared).not.toHaveProperty('guidance');
    expect(cleared).toEqual((({ guidance: _g, ...rest }) => rest)(base()));
    expect(apply(base({ guidance: undefined }), { guidance: '' })).not.toHaveProperty('guidance');
  });

  test('targets change the named metrics only', () => {
    const after = apply(base(), { targets: { build_seconds: { absolute: 4 } } });
    expect(after.metrics[0]).toEqual({ ...base().metrics[0], target: { absolute: 4 } });
    expect(after.metrics[1]).toEqual(base().metrics[1]);
    expect(after.checks).toEqual(base().checks);
  });

  test('targets may name a metric that the same edit adds', () => {
    const after = apply(base(), {
      metrics: [{ name: 'size', command: 'du dist', direction: 'lower', target: { absolute: 100 } }],
      targets: { size: { relative: -0.2 } },
    });
    expect(after.metrics).toEqual([
      {
        name: 'size',
        command: 'du dist',
        measure: 'wall_time',
        direction: 'lower',
        target: { relative: -0.2 },
        timeoutSeconds: 600,
      },
    ]);
  });

  test('a target for an unknown metric is refused, listing the metrics there are', () => {
    expect(problemsOf(() => apply(base(), { targets: { build_time: { absolute: 4 } } }))).toEqual([
      'targets.build_time: no metric named "build_time" (metrics: build_seconds, coverage)',
    ]);
  });

  test('a target for a metric the same edit removes is refused, and no metrics is said as none', () => {
    expect(problemsOf(() => apply(base(), { metrics: [], targets: { coverage: { absolute: 90 } } }))).toEqual([
      'targets.coverage: no metric named "coverage" (metrics: none)',
    ]);
  });

  test('a relative target pointing the wrong way for the direction is refused', () => {
    expect(problemsOf(() => apply(base(), { targets: { build_seconds: { relative: 0.3 } } }))).toEqual([
      'metrics[0].target.relative: direction is "lower" but the relative target 0.3 points the other way: use -0.3',
    ]);
    expect(problemsOf(() => apply(base(), { targets: { coverage: { relative: -0.1 } } }))).toEqual([
      'metrics[1].target.relative: direction is "higher" but the relative target -0.1 points the other way: use 0.1',
    ]);
  });

  test('metrics and checks are replaced as whole lists', () => {
    const metrics = [{ name: 'size', command: 'du dist', direction: 'lower', target: { absolute: 100 } }];
    const checks = [{ name: 'lint', command: 'npm run lint', timeoutSeconds: 60 }];
    const after = apply(base(), { metrics, checks });
    expect(after.metrics.map((m) => m.name)).toEqual(['size']);
    expect(after.checks).toEqual(checks);
    expect(after.objective).toBe(base().objective);
  });

  test('removing every metric is fine while a check remains', () => {
    const after = apply(base(), { metrics: [] });
    expect(after.metrics).toEqual([]);
    expect(after.checks).toHaveLength(1);
  });

  test('removing every criterion is refused: the result must still be a valid goal', () => {
    expect(problemsOf(() => apply(base(), { metrics: [], checks: [] }))).toEqual([
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
    expect(problemsOf(() => apply(base({ metrics: [] }), { checks: [] }))).toEqual([
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
  });

  test('the checklist is replaced, and a checklist alone is a valid criterion', () => {
    const after = apply(base(), { metrics: [], checks: [], checklist: ['the README documents the flag'] });
    expect(after.checklist).toEqual(['the README documents the flag']);
    expect(after.metrics).toEqual([]);
    expect(after.checks).toEqual([]);
  });

  test('duplicate metric names in the replacement list are refused', () => {
    const m = { name: 'size', command: 'du dist', direction: 'lower', target: { absolute: 100 } };
    expect(problemsOf(() => apply(base(), { metrics: [m, m] }))).toEqual([
      'metrics[1].name: duplicate metric name "size"',
    ]);
  });

  test('a budget edit is merged into the existing budget', () => {
    expect(apply(base(), { budget: { maxTurns: 40 } }).budget).toEqual({ maxTurns: 40, maxTokens: 100_000 });
    expect(apply(base(), { budget: { maxHours: 2.5 } }).budget).toEqual({
      maxTurns: 20,
      maxTokens: 100_000,
      maxHours: 2.5,
    });
  });

  test('a budget below what is already spent is refused, naming each limit', () => {
    const spent = { turns: 12, tokens: 50_000, hours: 1.2345 };
    expect(
      problemsOf(() => apply(base(), { budget: { maxTurns: 11, maxTokens: 49_999, maxHours: 1.2 } }, spent)),
    ).toEqual([
      'budget.maxTurns: 11 is below the 12 turns already used',
      'budget.maxTokens: 49999 is below the 50000 tokens already used',
      'budget.maxHours: 1.2 is below the 1.23 hours already used',
    ]);
  });

  test('a budget equal to what is spent is accepted', () => {
    const spent = { turns: 12, tokens: 50_000, hours: 1.5 };
    expect(apply(base(), { budget: { maxTurns: 12, maxTokens: 50_000, maxHours: 1.5 } }, spent).budget).toEqual({
      maxTurns: 12,
      maxTokens: 50_000,
      maxHours: 1.5,
    });
  });

  test('a cost budget is set or raised, merged into the budget', () => {
    expect(apply(base(), { budget: { maxCostUsd: 10 } }).budget).toEqual({
      maxTurns: 20,
      maxTokens: 100_000,
      maxCostUsd: 10,
    });
    expect(apply(base({ budget: { maxCostUsd: 10 } }), { budget: { maxCostUsd: 25 } }).budget).toEqual({
      maxTurns: 50,
      maxCostUsd: 25,
    });
  });

  test('a cost budget below the dollars already spent is refused, saying how much is spent', () => {
    const spent = { turns: 3, tokens: 1000, hours: 0.1, costUsd: 7.456 };
    expect(problemsOf(() => apply(base(), { budget: { maxCostUsd: 5 } }, spent))).toEqual([
      'budget.maxCostUsd: $5 is below the $7.46 already spent',
    ]);
    expect(problemsOf(() => apply(base(), { budget: { maxCostUsd: 0.001 } }, { ...spent, costUsd: 0.0042 }))).toEqual([
      'budget.maxCostUsd: $0.001 is below the $0.0042 already spent',
    ]);
    expect(apply(base(), { budget: { maxCostUsd: 7.456 } }, spent).budget.maxCostUsd).toBe(7.456);
    expect(apply(base(), { budget: { maxCostUsd: 8 } }, spent).budget.maxCostUsd).toBe(8);
  });

  test('without a known spend in dollars, a cost budget is not checked against it', () => {
    expect(
      apply(base(), { budget: { maxCostUsd: 0.01 } }, { turns: 3, tokens: 1000, hours: 0.1 }).budget.maxCostUsd,
    ).toBe(0.01);
  });

  test('the spend only limits budget fields the edit changes', () => {
    // 30 turns used against a spec limit of 20: an edit of the objective is still fine.
    expect(apply(base(), { objective: 'o2' }, { turns: 30, tokens: 1e9, hours: 100 }).objective).toBe('o2');
  });

  test('all problems are reported together', () => {
    expect(
      problemsOf(() =>
        apply(
          base(),
          { targets: { nope: { absolute: 1 }, build_seconds: { relative: 0.5 } }, budget: { maxTurns: 1 } },
          { turns: 2, tokens: 0, hours: 0 },
        ),
      ),
    ).toEqual([
      'targets.nope: no metric named "nope" (metrics: build_seconds, coverage)',
      'budget.maxTurns: 1 is below the 2 turns already used',
      'metrics[0].target.relative: direction is "lower" but the relative target 0.5 points the other way: use -0.5',
    ]);
  });

  test('the spec passed in is not modified', () => {
    const spec = base();
    const copy = structuredClone(spec);
    apply(spec, { objective: 'o2', guidance: '', targets: { coverage: { absolute: 95 } }, budget: { maxTurns: 30 } });
    expect(() => apply(spec, { metrics: [], checks: [] })).toThrow(InvalidEditError);
    expect(spec).toEqual(copy);
  });
});

describe('metricsToRebaseline', () => {
  test('an unchanged spec needs no new baseline', () => {
    expect(metricsToRebaseline(base(), base())).toEqual([]);
  });

  test('a target-only change does not re-baseline', () => {
    const after = apply(base(), { targets: { build_seconds: { absolute: 3 }, coverage: { relative: 0.1 } } });
    expect(metricsToRebaseline(base(), after)).toEqual([]);
  });

  test('a new metric needs a baseline; a removed one is not listed', () => {
    const after = apply(base(), {
      metrics: [
        base().metrics[0],
        { name: 'size', command: 'du dist', measure: 'exit_code', direction: 'lower', target: { absolute: 0 } },
      ],
    });
    expect(metricsToRebaseline(base(), after)).toEqual(['size']);
  });

  const coverage = base().metrics[1]!;
  const jsonCoverage = { ...coverage, measure: 'json', pattern: undefined, path: 'total.branches' };
  test.each([
    ['command', coverage, { command: 'npm run cov -- --all' }],
    ['measure', coverage, { measure: 'json', pattern: undefined, path: 'total.lines' }],
    ['pattern', coverage, { pattern: 'lines: (\\d+)' }],
    ['path', jsonCoverage, { path: 'total.lines' }],
    ['direction', coverage, { direction: 'lower', target: { absolute: 10 } }],
  ])('a changed %s re-baselines the metric', (_what, metric, change) => {
    const before = base({ metrics: [metric] });
    const after = apply(before, { metrics: [{ ...before.metrics[0], ...change }] });
    expect(metricsToRebaseline(before, after)).toEqual(['coverage']);
  });

  test('the list follows the order of the new spec', () => {
    const [build, cov] = base().metrics;
    const after = apply(base(), {
      metrics: [
        { ...cov, command: 'other' },
        { name: 'aaa', command: 'x', direction: 'lower', target: { absolute: 1 } },
        { ...build, command: 'make' },
      ],
    });
    expect(metricsToRebaseline(base(), after)).toEqual(['coverage', 'aaa', 'build_seconds']);
  });
});

describe('describeChanges', () => {
  test('identical specs produce no lines', () => {
    expect(describeChanges(base(), base())).toEqual([]);
  });

  test('a new objective is quoted old → new', () => {
    expect(describeChanges(base(), apply(base(), { objective: 'go faster' }))).toEqual([
      'objective: "make the build fast" → "go faster"',
    ]);
  });

  test('guidance set, replaced or cleared', () => {
    expect(describeChanges(base(), apply(base(), { guidance: 'src/ only' }))).toEqual(['guidance is now: "src/ only"']);
    const without = base({ guidance: undefined });
    expect(describeChanges(without, apply(without, { guidance: 'src/ only' }))).toEqual([
      'guidance is now: "src/ only"',
    ]);
    expect(describeChanges(base(), apply(base(), { guidance: '' }))).toEqual(['guidance removed']);
  });

  test('an added metric names its command, measure and target, for each kind of target', () => {
    const add = (target: unknown, direction = 'lower') =>
      describeChanges(
        base(),
        apply(base(), {
          metrics: [...base().metrics, { name: 'size', command: 'du -b dist', direction, target }],
        }),
      );
    expect(add({ absolute: 5 })).toEqual(['metric size added: `du -b dist` (wall_time), target ≤ 5']);
    expect(add({ absolute: 90 }, 'higher')).toEqual(['metric size added: `du -b dist` (wall_time), target ≥ 90']);
    expect(add({ relative: -0.3 })).toEqual(['metric size added: `du -b dist` (wall_time), target -30% vs baseline']);
    expect(add({ relative: 0.1 }, 'higher')).toEqual([
      'metric size added: `du -b dist` (wall_time), target +10% vs baseline',
    ]);
    expect(add({ relative: -1 / 3 })).toEqual([
      'metric size added: `du -b dist` (wall_time), target -33.33% vs baseline',
    ]);
  });

  test('a metric measured differently names its new command and measure and says it is re-baselined', () => {
    const [build, cov] = base().metrics;
    const after = apply(base(), { metrics: [build, { ...cov, pattern: 'lines (\\d+)' }] });
    expect(describeChanges(base(), after)).toEqual([
      'metric coverage now measured by `npm run cov` (stdout_number); re-baselined',
    ]);
    const cmd = apply(base(), { metrics: [{ ...build, command: 'make' }, cov] });
    expect(describeChanges(base(), cmd)).toEqual([
      'metric build_seconds now measured by `make` (wall_time); re-baselined',
    ]);
  });

  test('a new target shows the old and the new target', () => {
    expect(
      describeChanges(
        base(),
        apply(base(), { targets: { build_seconds: { absolute: 4 }, coverage: { absolute: 85 } } }),
      ),
    ).toEqual(['target of build_seconds: -50% vs baseline → ≤ 4', 'target of coverage: ≥ 80 → ≥ 85']);
  });

  test('a new direction is both a new measurement and a new target', () => {
    const [build, cov] = base().metrics;
    const after = apply(base(), { metrics: [build, { ...cov, direction: 'lower' }] });
    expect(describeChanges(base(), after)).toEqual([
      'metric coverage now measured by `npm run cov` (stdout_number); re-baselined',
      'target of coverage: ≥ 80 → ≤ 80',
    ]);
  });

  test('a removed metric is named', () => {
    expect(describeChanges(base(), apply(base(), { metrics: [base().metrics[1]] }))).toEqual([
      'metric build_seconds removed',
    ]);
  });

  test('a check added, run by a new command, or removed', () => {
    expect(
      describeChanges(base(), apply(base(), { checks: [...base().checks, { name: 'lint', command: 'eslint .' }] })),
    ).toEqual(['check "lint" added: `eslint .`']);
    expect(
      describeChanges(base(), apply(base(), { checks: [{ name: 'tests', command: 'npm test -- --ci' }] })),
    ).toEqual(['check "tests" now runs `npm test -- --ci`']);
    expect(describeChanges(base(), apply(base(), { checks: [] }))).toEqual(['check "tests" removed']);
  });

  test('checklist items added and removed, by their text', () => {
    const before = base({ checklist: ['docs updated', { item: 'no new dependencies', command: 'git diff --quiet' }] });
    const after = apply(before, { checklist: ['docs updated', 'changelog entry'] });
    expect(describeChanges(before, after)).toEqual([
      'checklist item added: "changelog entry"',
      'checklist item removed: "no new dependencies"',
    ]);
  });

  test('budget limits changed, set or removed, with none for no limit', () => {
    const after = apply(base(), { budget: { maxTurns: 30, maxHours: 2 } });
    expect(describeChanges(base(), after)).toEqual(['budget.maxTurns: 20 → 30', 'budget.maxHours: none → 2']);
    expect(describeChanges(base(), base({ budget: { maxTurns: 20 } }))).toEqual(['budget.maxTokens: 100000 → none']);
    expect(describeChanges(base(), apply(base(), { budget: { maxCostUsd: 15 } }))).toEqual([
      'budget.maxCostUsd: none → 15',
    ]);
    const capped = base({ budget: { maxTurns: 20, maxTokens: 100_000, maxCostUsd: 15 } });
    expect(describeChanges(capped, apply(capped, { budget: { maxCostUsd: 40 } }))).toEqual([
      'budget.maxCostUsd: 15 → 40',
    ]);
  });

  test('a renamed metric or check is a removal plus an addition', () => {
    const after = apply(base(), {
      metrics: [{ ...base().metrics[0], name: 'build_time' }, base().metrics[1]],
      checks: [{ name: 'unit tests', command: 'npm test' }],
    });
    expect(describeChanges(base(), after)).toEqual([
      'metric build_time added: `npm run build` (wall_time), target -50% vs baseline',
      'metric build_seconds removed',
      'check "unit tests" added: `npm test`',
      'check "tests" removed',
    ]);
  });

  test('lines come in a fixed order: objective, guidance, metrics, removed metrics, checks, removed checks, budget', () => {
    const after = apply(base(), {
      budget: { maxTurns: 25 },
      checks: [{ name: 'lint', command: 'eslint .' }],
      metrics: [
        { ...base().metrics[1], target: { absolute: 90 } },
        { name: 'size', command: 'du', direction: 'lower', target: { absolute: 1 } },
      ],
      guidance: '',
      objective: 'everything at once',
    });
    expect(describeChanges(base(), after)).toEqual([
      'objective: "make the build fast" → "everything at once"',
      'guidance removed',
      'target of coverage: ≥ 80 → ≥ 90',
      'metric size added: `du` (wall_time), target ≤ 1',
      'metric build_seconds removed',
      'check "lint" added: `eslint .`',
      'check "tests" removed',
      'budget.maxTurns: 20 → 25',
    ]);
  });
});

// Known gaps, kept as failing tests so that they turn red (and get converted) once fixed: an edit that only
// changes one of these fields changes the spec, yet describeChanges reports nothing, so GoalRun.validateEdit
// refuses it as "the edit changes nothing".
describe('known gaps', () => {
  test('a changed metric timeout is described', () => {
    const after = apply(base(), { metrics: [{ ...base().metrics[0], timeoutSeconds: 1800 }, base().metrics[1]] });
    expect(after).not.toEqual(base());
    expect(describeChanges(base(), after)).not.toEqual([]);
  });

  test('a changed check timeout is described', () => {
    const after = apply(base(), { checks: [{ name: 'tests', command: 'npm test', timeoutSeconds: 3600 }] });
    expect(after).not.toEqual(base());
    expect(describeChanges(base(), after)).not.toEqual([]);
  });

  test('a changed checklist command is described', () => {
    const before = base({ checklist: ['docs updated'] });
    const after = apply(before, { checklist: [{ item: 'docs updated', command: 'test -f docs/flag.md' }] });
    expect(after).not.toEqual(before);
    expect(describeChanges(before, after)).not.toEqual([]);
  });

  // Worse: the junit count or report file decides what is measured, but the metric keeps its old baseline.
  test('a changed junit count or report file re-baselines the metric', () => {
    const junit = {
      name: 'failures',
      command: 'npm test',
      measure: 'junit',
      report: 'junit.xml',
      count: 'failed',
      direction: 'lower',
      target: { absolute: 0 },
    };
    const before = base({ metrics: [junit] });
    const counted = apply(before, { metrics: [{ ...junit, count: 'total' }] });
    expect(metricsToRebaseline(before, counted)).toEqual(['failures']);
    const reported = apply(before, { metrics: [{ ...junit, report: 'reports/junit.xml' }] });
    expect(metricsToRebaseline(before, reported)).toEqual(['failures']);
  });
});

describe('edit size', () => {
  test('an edit over 64 KiB is refused whole, saying how to fix it', () => {
    expect(() => parseGoalEdit({ guidance: 'g'.repeat(70_000) })).toThrow(/the edit is 69 KiB; keep it under 64 KiB/);
    expect(() => parseGoalEdit({ guidance: 'g'.repeat(10_000) })).not.toThrow();
  });
});

describe('found by fuzzing (test/fuzz-edit.test.ts)', () => {
  test('a target edit works on a goal whose metric is named like an Object member ("constructor")', () => {
    const spec = parseGoalSpec({
      objective: 'x',
      workspace: '/repo',
      metrics: [
        { name: 'constructor', command: 'true', direction: 'lower', target: { absolute: 1 } },
        { name: 'b', command: 'true', direction: 'lower', target: { absolute: 1 } },
      ],
    });
    const after = apply(spec, { targets: { b: { absolute: 2 } } });
    expect(after.metrics.map((m) => m.target)).toEqual([{ absolute: 1 }, { absolute: 2 }]);
  });

  test('an unknown target name is shown quoted and cut, never echoed whole', () => {
    const [problem] = problemsOf(() => apply(base(), { targets: { [`${'n'.repeat(5000)}\n`]: { absolute: 1 } } }));
    expect(problem).toMatch(/^targets\."n{64}…": no metric named "n{64}…" \(metrics: build_seconds, coverage\)$/);
  });

  test('an edit that refers to itself (a YAML alias inside its own anchor) is refused, not thrown', () => {
    const edit: Record<string, unknown> = { objective: 'y' };
    edit.budget = edit;
    expect(problemsOf(() => parseGoalEdit(edit))).toEqual([
      'the edit is not plain data (Converting circular structure to JSON): write every value out, without a YAML alias (*name) inside its own anchor',
    ]);
  });
});
