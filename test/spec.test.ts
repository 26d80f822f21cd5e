import { InvalidSpecError, MEASURE_KINDS, parseGoalSpec, repeatsFor, type GoalSpecInput } from '../goal/spec';

/** A minimal valid spec: one check, so no metric is needed. */
const base = { objective: 'make the tests pass', workspace: '/repo', checks: [{ name: 'tests', command: 'npm test' }] };

/** A spec with one metric built from `overrides` on top of a valid lower-is-better metric. */
function withMetric(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    ...base,
    metrics: [
      { name: 'build_seconds', command: 'npm run build', direction: 'lower', target: { absolute: 2 }, ...overrides },
    ],
  };
}

/** The problems parseGoalSpec reports for `input` (fails the test when it does not throw). */
function problemsOf(input: unknown): readonly string[] {
  try {
    parseGoalSpec(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSpecError);
    return (err as InvalidSpecError).problems;
  }
  throw new Error('expected parseGoalSpec to refuse the spec');
}

describe('parseGoalSpec defaults', () => {
  test('a minimal spec gets a 50-turn budget, no metrics, the default model with compaction at 60% and the stall limits', () => {
    const spec = parseGoalSpec(base);
    expect(spec.budget).toEqual({ maxTurns: 50 });
    expect(spec.metrics).toEqual([]);
    expect(spec.model).toEqual({ compactAt: 0.6 });
    expect(spec.stall).toEqual({ noProgress: 30, repeatedFailures: 5 });
    expect(spec.checks).toEqual([{ name: 'tests', command: 'npm test', timeoutSeconds: 900 }]);
  });

  test('a metric defaults to wall_time with a 600 s timeout', () => {
    const spec = parseGoalSpec(withMetric({}));
    expect(spec.metrics[0]).toEqual({
      name: 'build_seconds',
      command: 'npm run build',
      measure: 'wall_time',
      direction: 'lower',
      target: { absolute: 2 },
      timeoutSeconds: 600,
    });
  });

  test('a budget given without maxTurns still gets the default 50 turns', () => {
    expect(parseGoalSpec({ ...base, budget: { maxTokens: 1000 } }).budget).toEqual({ maxTurns: 50, maxTokens: 1000 });
  });

  test('objective and commands are trimmed', () => {
    const spec = parseGoalSpec({ ...base, objective: '  speed up  ', checks: [{ name: ' t ', command: ' make ' }] });
    expect(spec.objective).toBe('speed up');
    expect(spec.checks[0]).toMatchObject({ name: 't', command: 'make' });
  });

  test('a metric without checks is a complete spec', () => {
    const spec = parseGoalSpec({
      objective: 'faster',
      workspace: '/repo',
      metrics: [{ name: 'm', command: 'x', direction: 'higher', target: { relative: 0.1 } }],
    });
    expect(spec.checks).toEqual([]);
    expect(spec.metrics[0]!.target).toEqual({ relative: 0.1 });
  });

  test('every measure kind is accepted with its required field', () => {
    const extra: Record<string, object> = { stdout_number: { pattern: '(\\d+)' }, json: { path: 'a.b' } };
    for (const measure of MEASURE_KINDS) {
      expect(parseGoalSpec(withMetric({ measure, ...extra[measure] })).metrics[0]!.measure).toBe(measure);
    }
  });

  test('the input object is not mutated by applying defaults', () => {
    const input: GoalSpecInput = { ...base };
    parseGoalSpec(input);
    expect(input).toEqual(base);
  });
});

describe('parseGoalSpec refusals', () => {
  test('an unknown top-level field is named with a spelling hint', () => {
    expect(problemsOf({ ...base, objectve: 'x' })).toEqual(['unknown field "objectve": remove or fix the spelling']);
  });

  test('several unknown fields are named together in the plural', () => {
    expect(problemsOf({ ...base, a: 1, b: 2 })).toEqual(['unknown fields "a", "b": remove or fix the spelling']);
  });

  test('unknown nested fields are prefixed with the path of their object', () => {
    expect(problemsOf({ ...base, budget: { maxTurn: 3 } })).toEqual([
      'budget: unknown field "maxTurn": remove or fix the spelling',
    ]);
    expect(problemsOf(withMetric({ unit: 's' }))).toEqual([
      'metrics[0]: unknown field "unit": remove or fix the spelling',
    ]);
    expect(problemsOf({ ...base, checks: [{ name: 'c', command: 'x', cmd: 'y' }] })).toEqual([
      'checks[0]: unknown field "cmd": remove or fix the spelling',
    ]);
    expect(problemsOf({ ...base, model: { temperature: 0 } })).toEqual([
      'model: unknown field "temperature": remove or fix the spelling',
    ]);
  });

  test('missing objective and workspace are each reported as required', () => {
    expect(problemsOf({ checks: base.checks })).toEqual(['objective: is required', 'workspace: is required']);
  });

  test('a blank objective or workspace is refused with what it must say', () => {
    expect(problemsOf({ ...base, objective: '   ' })).toEqual(['objective: objective must say what to achieve']);
    expect(problemsOf({ ...base, workspace: '' })).toEqual([
      'workspace: workspace must be the path of a git repository',
    ]);
  });

  test('a goal with neither a metric nor a check is refused with the flags to add one', () => {
    expect(problemsOf({ objective: 'o', workspace: '/w' })).toEqual([
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
    expect(problemsOf({ objective: 'o', workspace: '/w', metrics: [], checks: [] })).toHaveLength(1);
  });

  test('an unknown field and a missing criterion are both reported', () => {
    expect(problemsOf({ objective: 'o', workspace: '/w', x: 1 })).toEqual([
      'unknown field "x": remove or fix the spelling',
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
  });

  test('stdout_number without a pattern is refused with an example pattern', () => {
    expect(problemsOf(withMetric({ measure: 'stdout_number' }))).toEqual([
      'metrics[0].pattern: measure stdout_number needs a pattern, e.g. pattern: "(\\d+) failing"',
    ]);
  });

  test('stdout_number with an invalid regular expression is refused with the regex error', () => {
    const problems = problemsOf(withMetric({ measure: 'stdout_number', pattern: '(\\d+' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^metrics\[0\]\.pattern: not a valid regular expression: SyntaxError: Invalid regular expression/,
    );
  });

  test('json without a path is refused with an example path', () => {
    expect(problemsOf(withMetric({ measure: 'json' }))).toEqual([
      'metrics[0].path: measure json needs a path, e.g. path: "stats.total"',
    ]);
  });

  test('a relative target pointing the wrong way is refused with the corrected sign', () => {
    expect(problemsOf(withMetric({ target: { relative: 0.3 } }))).toEqual([
      'metrics[0].target.relative: direction is "lower" but the relative target 0.3 points the other way: use -0.3',
    ]);
    expect(problemsOf(withMetric({ direction: 'higher', target: { relative: -0.25 } }))).toEqual([
      'metrics[0].target.relative: direction is "higher" but the relative target -0.25 points the other way: use 0.25',
    ]);
  });

  test('a relative target of 0 is refused as no goal', () => {
    expect(problemsOf(withMetric({ target: { relative: 0 } }))).toEqual([
      'metrics[0].target.relative: a relative target of 0 is no goal: use e.g. -0.30 for "30% lower"',
    ]);
  });

  test('a relative target of -100% or less is refused', () => {
    const problems = problemsOf(withMetric({ target: { relative: -1 } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^metrics\[0\]\.target\.relative: .*-1/);
  });

  test('a target that is neither absolute nor relative (or both) gets the shape hint', () => {
    const hint =
      'metrics[0].target: target must be { absolute: NUMBER } or { relative: FRACTION } (e.g. { relative: -0.30 } for 30% lower)';
    expect(problemsOf(withMetric({ target: { value: 2 } }))).toEqual([hint]);
    expect(problemsOf(withMetric({ target: { absolute: 2, relative: -0.3 } }))).toEqual([hint]);
  });

  test('duplicate metric names are refused at the second occurrence', () => {
    const metric = { name: 'm', command: 'x', direction: 'lower', target: { absolute: 1 } };
    expect(problemsOf({ ...base, metrics: [metric, { ...metric, command: 'y' }, metric] })).toEqual([
      'metrics[1].name: duplicate metric name "m"',
      'metrics[2].name: duplicate metric name "m"',
    ]);
  });

  test('an invalid measure kind lists the valid kinds', () => {
    expect(problemsOf(withMetric({ measure: 'cpu_time' }))).toEqual([
      'metrics[0].measure: measure must be one of: wall_time, stdout_number, json, exit_code, junit, coverage',
    ]);
  });

  test('an invalid direction, metric name or model api is refused with the allowed values', () => {
    expect(problemsOf(withMetric({ direction: 'down' }))).toEqual([
      'metrics[0].direction: direction must be "lower" or "higher"',
    ]);
    expect(problemsOf(withMetric({ name: '1st metric' }))).toEqual([
      'metrics[0].name: use letters, digits, "_", "-" or "." (max 64), starting with a letter',
    ]);
    expect(problemsOf({ ...base, model: { api: 'completions' } })).toEqual([
      'model.api: model.api must be "responses" (OpenAI) or "chat" (compatible servers)',
    ]);
  });

  test('several problems in one metric are all reported', () => {
    expect(problemsOf(withMetric({ measure: 'stdout_number', target: { relative: 0.3 } }))).toEqual([
      'metrics[0].pattern: measure stdout_number needs a pattern, e.g. pattern: "(\\d+) failing"',
      'metrics[0].target.relative: direction is "lower" but the relative target 0.3 points the other way: use -0.3',
    ]);
  });

  test('a metric missing its command says the command is required', () => {
    expect(problemsOf({ ...base, metrics: [{ name: 'm', direction: 'lower', target: { absolute: 1 } }] })).toEqual([
      'metrics[0].command: is required',
    ]);
  });

  test('out-of-range repeat is refused', () => {
    expect(problemsOf(withMetric({ repeat: 0 }))).toEqual([expect.stringMatching(/^metrics\[0\]\.repeat: .*1/)]);
    expect(problemsOf(withMetric({ repeat: 101 }))).toEqual([expect.stringMatching(/^metrics\[0\]\.repeat: .*100/)]);
  });
});

describe('InvalidSpecError', () => {
  test('lists every problem as an indented bullet under a heading', () => {
    const err = new InvalidSpecError(['objective: is required', 'workspace: is required']);
    expect(err.name).toBe('InvalidSpecError');
    expect(err).toBeInstanceOf(Error);
    expect(err.problems).toEqual(['objective: is required', 'workspace: is required']);
    expect(err.message).toBe('invalid goal spec:\n  - objective: is required\n  - workspace: is required');
  });

  test('parseGoalSpec throws it with a message built from the problems', () => {
    expect(() => parseGoalSpec({ objective: 'o', workspace: '/w' })).toThrow(
      'invalid goal spec:\n  - metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    );
  });
});

describe('repeatsFor', () => {
  test('wall_time defaults to 5 samples, parsed kinds to 1, and an explicit repeat wins', () => {
    const [wall] = parseGoalSpec(withMetric({})).metrics;
    const [stdout] = parseGoalSpec(withMetric({ measure: 'stdout_number', pattern: '(\\d+)' })).metrics;
    const [json] = parseGoalSpec(withMetric({ measure: 'json', path: 'a' })).metrics;
    const [exit] = parseGoalSpec(withMetric({ measure: 'exit_code' })).metrics;
    const [explicit] = parseGoalSpec(withMetric({ repeat: 3 })).metrics;
    const [explicitOne] = parseGoalSpec(withMetric({ repeat: 1 })).metrics;
    expect(repeatsFor(wall!)).toBe(5);
    expect(repeatsFor(stdout!)).toBe(1);
    expect(repeatsFor(json!)).toBe(1);
    expect(repeatsFor(exit!)).toBe(1);
    expect(repeatsFor(explicit!)).toBe(3);
    expect(repeatsFor(explicitOne!)).toBe(1);
  });
});

describe('wrong types are named as such, not as missing', () => {
  test.each([
    [{ ...base, objective: 42 }, 'objective: Invalid input: expected string, received number'],
    [{ ...base, budget: { maxTurns: 'ten' } }, 'budget.maxTurns: Invalid input: expected number, received string'],
    [{ ...base, checks: 'npm test' }, 'checks: Invalid input: expected array, received string'],
  ])('%j', (input, problem) => {
    expect(problemsOf(input)).toContain(problem);
  });

  test('a field that is really missing is reported as required', () => {
    expect(problemsOf({ workspace: '/repo', checks: base.checks })).toEqual(['objective: is required']);
  });
});

describe('payload limits', () => {
  const base = { objective: 'Make it fast', workspace: '/ws', checks: [{ name: 't', command: 'npm test' }] };

  test('an objective over 20,000 characters is refused with where to put the details', () => {
    expect(() => parseGoalSpec({ ...base, objective: 'x'.repeat(20_001) })).toThrow(
      /objective: keep it under 20000 characters; put details in a plan file/,
    );
  });

  test('a spec over 128 KiB is refused before anything is sent to Temporal', () => {
    const checks = Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, command: `echo ${'y'.repeat(1000)}` }));
    expect(() => parseGoalSpec({ ...base, checks })).toThrow(/the spec is \d+ KiB; keep it under 128 KiB/);
    expect(() => parseGoalSpec({ ...base, checks: checks.slice(0, 50) })).not.toThrow();
  });
});
