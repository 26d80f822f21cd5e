import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { editFromFlags, finalizeSpec, inlineSpec, parseTarget, readSpecFile } from '../client/spec-input';
import { InvalidEditError } from '../goal/edit';
import { InvalidSpecError, parseGoalSpec } from '../goal/spec';

const tempDirs: string[] = [];
let savedCeiling: string | undefined;

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'longhaul-spec-input-'));
  tempDirs.push(dir);
  return dir;
}

function gitRepo(): string {
  const dir = tempDir();
  execFileSync('git', ['init', '-q'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

beforeAll(() => {
  // A folder under the temp dir must not be taken for part of an enclosing repository.
  savedCeiling = process.env.GIT_CEILING_DIRECTORIES;
  process.env.GIT_CEILING_DIRECTORIES = os.tmpdir();
});

afterAll(() => {
  if (savedCeiling === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
  else process.env.GIT_CEILING_DIRECTORIES = savedCeiling;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The problems of the InvalidSpecError `fn` throws. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSpecError);
    return (err as InvalidSpecError).problems;
  }
  throw new Error('expected an InvalidSpecError');
}

describe('parseTarget', () => {
  test('a plain number is an absolute target', () => {
    expect(parseTarget('2.5')).toEqual({ absolute: 2.5 });
    expect(parseTarget(' 7 ')).toEqual({ absolute: 7 });
    expect(parseTarget('-3')).toEqual({ absolute: -3 });
    expect(parseTarget('1e3')).toEqual({ absolute: 1000 });
  });

  test('an explicit absolute: prefix is accepted, with an exponent', () => {
    expect(parseTarget('absolute:1e3')).toEqual({ absolute: 1000 });
    expect(parseTarget('absolute:0.5')).toEqual({ absolute: 0.5 });
  });

  test('a percentage is a relative fraction of the baseline', () => {
    expect(parseTarget('-30%')).toEqual({ relative: -0.3 });
    expect(parseTarget('+10%')).toEqual({ relative: 0.1 });
    expect(parseTarget('12.5%')).toEqual({ relative: 0.125 });
  });

  test('relative: takes the fraction itself', () => {
    expect(parseTarget('relative:-0.3')).toEqual({ relative: -0.3 });
    expect(parseTarget('relative:0.25')).toEqual({ relative: 0.25 });
  });

  test('anything else is refused with both accepted forms', () => {
    for (const text of ['fast', '', '30 %', 'relative:', '1,5', '--2']) {
      expect(problemsOf(() => parseTarget(text))).toEqual([
        `--target "${text}": use a number (absolute, e.g. 2.5) or a percentage (relative, e.g. -30%)`,
      ]);
    }
  });
});

describe('inlineSpec', () => {
  test('a single check is named "check" and the workspace defaults to cwd', () => {
    expect(inlineSpec('fix the tests', { check: ['npm test'] }, '/home/me/repo')).toEqual({
      objective: 'fix the tests',
      workspace: '/home/me/repo',
      checks: [{ name: 'check', command: 'npm test' }],
    });
  });

  test('several checks are numbered in order', () => {
    const spec = inlineSpec('o', { check: ['npm test', 'npm run lint'] }, '/r') as { checks: unknown };
    expect(spec.checks).toEqual([
      { name: 'check 1', command: 'npm test' },
      { name: 'check 2', command: 'npm run lint' },
    ]);
  });

  test('no --check gives an empty check list, which validation then refuses without a metric', () => {
    const spec = inlineSpec('o', {}, '/r');
    expect(spec).toMatchObject({ checks: [] });
    expect(() => parseGoalSpec(spec)).toThrow(/a goal needs a verifiable exit criterion/);
  });

  test('a relative workspace is resolved against cwd', () => {
    expect(inlineSpec('o', { workspace: '../other', check: ['x'] }, '/home/me/repo')).toMatchObject({
      workspace: '/home/me/other',
    });
    expect(inlineSpec('o', { workspace: '/abs/ws', check: ['x'] }, '/home/me/repo')).toMatchObject({
      workspace: '/abs/ws',
    });
  });

  test('a metric built from flags defaults to a lower-is-better wall_time named "metric"', () => {
    expect(inlineSpec('faster', { metricCmd: 'npm run build', target: '-30%' }, '/r')).toMatchObject({
      metrics: [
        {
          name: 'metric',
          command: 'npm run build',
          measure: 'wall_time',
          direction: 'lower',
          target: { relative: -0.3 },
        },
      ],
    });
  });

  test('every metric flag is carried into the metric, and the result validates', () => {
    const raw = inlineSpec(
      'more coverage',
      {
        metricCmd: 'npm run cov',
        metricName: 'coverage',
        measure: 'stdout_number',
        pattern: '(\\d+)%',
        direction: 'higher',
        target: '90',
        repeat: '3',
        guidance: 'add tests, do not delete code',
        check: ['npm test'],
      },
      '/r',
    );
    const spec = parseGoalSpec(raw);
    expect(spec.guidance).toBe('add tests, do not delete code');
    expect(spec.metrics).toEqual([
      {
        name: 'coverage',
        command: 'npm run cov',
        measure: 'stdout_number',
        pattern: '(\\d+)%',
        direction: 'higher',
        target: { absolute: 90 },
        repeat: 3,
        timeoutSeconds: 600,
      },
    ]);
  });

  test('--metric-cmd without --target is refused', () => {
    expect(problemsOf(() => inlineSpec('o', { metricCmd: 'npm run build' }, '/r'))).toEqual([
      '--metric-cmd needs --target: a number (e.g. 2.5) or a percentage (e.g. -30%)',
    ]);
  });

  test('a bad --target is refused through parseTarget', () => {
    expect(problemsOf(() => inlineSpec('o', { metricCmd: 'x', target: 'soon' }, '/r'))).toEqual([
      '--target "soon": use a number (absolute, e.g. 2.5) or a percentage (relative, e.g. -30%)',
    ]);
  });

  test('budget flags become a budget; none gives no budget field', () => {
    expect(inlineSpec('o', { check: ['x'], maxTurns: '10', maxTokens: '20000', maxHours: '1.5' }, '/r')).toMatchObject({
      budget: { maxTurns: 10, maxTokens: 20000, maxHours: 1.5 },
    });
    expect(inlineSpec('o', { check: ['x'] }, '/r')).not.toHaveProperty('budget');
  });

  test('--max-turns, --max-tokens and --repeat must be whole numbers', () => {
    expect(problemsOf(() => inlineSpec('o', { check: ['x'], maxTurns: 'ten' }, '/r'))).toEqual([
      '--max-turns "ten": must be a whole number',
    ]);
    expect(problemsOf(() => inlineSpec('o', { check: ['x'], maxTurns: '2.5' }, '/r'))).toEqual([
      '--max-turns "2.5": must be a whole number',
    ]);
    expect(problemsOf(() => inlineSpec('o', { check: ['x'], maxTokens: '-1' }, '/r'))).toEqual([
      '--max-tokens "-1": must be a whole number',
    ]);
    expect(problemsOf(() => inlineSpec('o', { metricCmd: 'x', target: '1', repeat: 'many' }, '/r'))).toEqual([
      '--repeat "many": must be a whole number',
    ]);
  });

  test('--max-cost becomes budget.maxCostUsd, with or without a dollar sign', () => {
    expect(inlineSpec('o', { check: ['x'], maxCost: '20' }, '/r')).toMatchObject({ budget: { maxCostUsd: 20 } });
    expect(inlineSpec('o', { check: ['x'], maxCost: '$2.50' }, '/r')).toMatchObject({ budget: { maxCostUsd: 2.5 } });
    expect(inlineSpec('o', { check: ['x'], maxCost: ' .5 ' }, '/r')).toMatchObject({ budget: { maxCostUsd: 0.5 } });
    expect(parseGoalSpec(inlineSpec('o', { check: ['x'], maxCost: '3', maxTurns: '9' }, '/r')).budget).toEqual({
      maxTurns: 9,
      maxCostUsd: 3,
    });
  });

  test('a --max-cost that is not a positive number of dollars is refused by the flag', () => {
    for (const bad of ['-1', '0', '0.00', 'abc', '', '5 dollars', '1e3', '$']) {
      expect(problemsOf(() => inlineSpec('o', { check: ['x'], maxCost: bad }, '/r'))).toEqual([
        `--max-cost "${bad}": must be a positive number of US dollars, e.g. 20 or 2.50`,
      ]);
    }
  });

  test('--branch and --slack-channel become git.branch and report.slackChannel, and validate', () => {
    const spec = inlineSpec('o', { check: ['x'], branch: 'longhaul/faster', slackChannel: '#builds' }, '/r');
    expect(spec).toMatchObject({ git: { branch: 'longhaul/faster' }, report: { slackChannel: '#builds' } });
    expect(parseGoalSpec(spec)).toMatchObject({
      git: { branch: 'longhaul/faster', milestones: true },
      report: { slackChannel: '#builds' },
    });
    expect(inlineSpec('o', { check: ['x'] }, '/r')).not.toHaveProperty('git');
    expect(inlineSpec('o', { check: ['x'] }, '/r')).not.toHaveProperty('report');
  });

  test('finishing is on by default; --no-review turns it off, --cleanup-turns sets the clean-up budget', () => {
    expect(parseGoalSpec(inlineSpec('o', { check: ['x'] }, '/r')).finalize).toEqual({ reflect: true, cleanupTurns: 3 });
    expect(parseGoalSpec(inlineSpec('o', { check: ['x'], review: false }, '/r')).finalize).toEqual({
      reflect: false,
      cleanupTurns: 0,
    });
    expect(parseGoalSpec(inlineSpec('o', { check: ['x'], cleanupTurns: '1' }, '/r')).finalize).toEqual({
      reflect: true,
      cleanupTurns: 1,
    });
    expect(() => inlineSpec('o', { check: ['x'], cleanupTurns: 'a few' }, '/r')).toThrow(
      '--cleanup-turns "a few": must be a whole number',
    );
    expect(() => parseGoalSpec(inlineSpec('o', { check: ['x'], cleanupTurns: '99' }, '/r'))).toThrow(
      /finalize\.cleanupTurns/,
    );
  });

  test('an empty --branch or --slack-channel is refused by validation', () => {
    expect(() => parseGoalSpec(inlineSpec('o', { check: ['x'], branch: ' ' }, '/r'))).toThrow(/git\.branch/);
    expect(() => parseGoalSpec(inlineSpec('o', { check: ['x'], slackChannel: '' }, '/r'))).toThrow(
      /report\.slackChannel/,
    );
  });

  test('model flags become the model section', () => {
    expect(inlineSpec('o', { check: ['x'], model: 'gpt-x', modelApi: 'chat' }, '/r')).toMatchObject({
      model: { name: 'gpt-x', api: 'chat' },
    });
    expect(inlineSpec('o', { check: ['x'], modelApi: 'chat' }, '/r')).toMatchObject({ model: { api: 'chat' } });
    expect(inlineSpec('o', { check: ['x'] }, '/r')).not.toHaveProperty('model');
  });
});

describe('readSpecFile', () => {
  test('reads YAML and resolves a relative workspace against the file’s folder', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'specs'));
    const file = path.join(dir, 'specs', 'goal.yaml');
    writeFileSync(
      file,
      [
        'objective: make the tests pass',
        'workspace: ../repo',
        'plan: PLAN.md',
        'checks:',
        '  - name: tests',
        '    command: npm test',
        '',
      ].join('\n'),
    );
    expect(readSpecFile(file)).toEqual({
      objective: 'make the tests pass',
      workspace: path.join(dir, 'repo'),
      plan: 'PLAN.md',
      checks: [{ name: 'tests', command: 'npm test' }],
    });
  });

  test('reads JSON, leaving an absolute workspace as it is', () => {
    const dir = tempDir();
    const file = path.join(dir, 'goal.json');
    const spec = { objective: 'o', workspace: '/srv/repo', checks: [{ name: 'c', command: 'true' }] };
    writeFileSync(file, JSON.stringify(spec, null, 2));
    expect(readSpecFile(file)).toEqual(spec);
  });

  test('a workspace that is not a string is left for validation to refuse', () => {
    const dir = tempDir();
    const file = path.join(dir, 'goal.yaml');
    writeFileSync(file, 'objective: o\nworkspace: 42\n');
    expect(readSpecFile(file)).toEqual({ objective: 'o', workspace: 42 });
  });

  test('a missing file is refused by name', () => {
    const file = path.join(tempDir(), 'nope.yaml');
    expect(problemsOf(() => readSpecFile(file))).toEqual([`spec file ${file} does not exist`]);
  });

  test('invalid YAML is refused with the parser’s message', () => {
    const file = path.join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'objective: "unterminated\nworkspace: [\n');
    const problems = problemsOf(() => readSpecFile(file));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML or JSON: .+`),
    );
  });

  test('a list, a scalar or an empty file is refused as not a mapping', () => {
    const dir = tempDir();
    for (const [name, text] of [
      ['list.yaml', '- objective: o\n- workspace: w\n'],
      ['scalar.yaml', 'just some words\n'],
      ['empty.yaml', ''],
      ['array.json', '[]'],
    ] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      expect(problemsOf(() => readSpecFile(file))).toEqual([
        `${file} must contain a mapping with at least "objective" and "workspace"`,
      ]);
    }
  });
});

describe('finalizeSpec', () => {
  const raw = (workspace: string, extra: Record<string, unknown> = {}) => ({
    objective: 'o',
    workspace,
    checks: [{ name: 'c', command: 'true' }],
    ...extra,
  });

  test('accepts a git repository, normalizing the workspace path and applying defaults', () => {
    const ws = gitRepo();
    const spec = finalizeSpec(raw(`${ws}/sub/..`), {});
    expect(spec.workspace).toBe(ws);
    expect(spec.budget.maxTurns).toBe(50);
    expect(spec.model).toEqual({ compactAt: 0.6 });
  });

  test('validates the spec before looking at the disk', () => {
    expect(problemsOf(() => finalizeSpec({ objective: 'o', workspace: '/definitely/not/here' }, {}))).toEqual([
      'metrics: a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    ]);
  });

  test('a workspace that does not exist is refused', () => {
    const ws = path.join(tempDir(), 'missing');
    expect(problemsOf(() => finalizeSpec(raw(ws), {}))).toEqual([
      `workspace: ${ws} does not exist: create it or pass the path of your repository`,
    ]);
  });

  test('a workspace that is a file is refused with a message saying so', () => {
    const file = path.join(tempDir(), 'file.txt');
    writeFileSync(file, 'x');
    expect(problemsOf(() => finalizeSpec(raw(file), {}))).toEqual([
      `workspace: ${file} is a file: pass the folder of your repository`,
    ]);
  });

  test('a folder that is not a git repository is refused with how to make it one', () => {
    const ws = tempDir();
    expect(problemsOf(() => finalizeSpec(raw(ws), {}))).toEqual([
      `workspace: ${ws} is not a git repository: run \`git init && git add -A && git commit -m start\` there`,
    ]);
  });

  test('a subfolder of a git repository is accepted', () => {
    const ws = gitRepo();
    mkdirSync(path.join(ws, 'pkg'));
    expect(finalizeSpec(raw(path.join(ws, 'pkg')), {}).workspace).toBe(path.join(ws, 'pkg'));
  });

  test('LONGHAUL_MODEL fills a missing model name but does not override one', () => {
    const ws = gitRepo();
    expect(finalizeSpec(raw(ws), { LONGHAUL_MODEL: 'env-model' }).model).toEqual({ name: 'env-model', compactAt: 0.6 });
    expect(finalizeSpec(raw(ws, { model: { api: 'chat' } }), { LONGHAUL_MODEL: 'env-model' }).model).toEqual({
      name: 'env-model',
      api: 'chat',
      compactAt: 0.6,
    });
    expect(finalizeSpec(raw(ws, { model: { name: 'spec-model' } }), { LONGHAUL_MODEL: 'env-model' }).model).toEqual({
      name: 'spec-model',
      compactAt: 0.6,
    });
    expect(finalizeSpec(raw(ws), { LONGHAUL_MODEL: '' }).model).toEqual({ compactAt: 0.6 });
  });

  test('a goal branch must be a valid git branch name', () => {
    const ws = gitRepo();
    expect(finalizeSpec(raw(ws, { git: { branch: 'longhaul/faster-build' } }), {}).git).toEqual({
      branch: 'longhaul/faster-build',
      milestones: true,
    });
    for (const bad of ['has space', 'a..b', 'ends.lock', 'x~1', 'trailing/']) {
      expect(problemsOf(() => finalizeSpec(raw(ws, { git: { branch: bad } }), {}))).toEqual([
        `git.branch: "${bad}" is not a valid git branch name: use e.g. longhaul/faster-build (no spaces, "..", "~", "^", ":")`,
      ]);
    }
  });

  test('the branch checked out in the workspace cannot be the goal branch', () => {
    const ws = gitRepo();
    const current = execFileSync('git', ['symbolic-ref', '--short', 'HEAD'], { cwd: ws }).toString().trim();
    expect(problemsOf(() => finalizeSpec(raw(ws, { git: { branch: current } }), {}))).toEqual([
      `git.branch: "${current}" is checked out in the workspace; milestone commits never move your branch: name a branch of its own, e.g. longhaul/${current}`,
    ]);
  });

  test('a cost budget needs a price for the model: from the table, the spec, or not yet known', () => {
    const ws = gitRepo();
    const budget = { maxCostUsd: 5 };
    expect(problemsOf(() => finalizeSpec(raw(ws, { budget, model: { name: 'my-local-llm' } }), {}))).toEqual([
      'budget.maxCostUsd: no price is known for model "my-local-llm", so its cost cannot be counted: add model.price { inputPerMTok, outputPerMTok } to the spec, or drop the cost budget',
    ]);
    expect(() => finalizeSpec(raw(ws, { budget }), { LONGHAUL_MODEL: 'my-local-llm' })).toThrow(/my-local-llm/);
    const price = { inputPerMTok: 0.1, outputPerMTok: 0.2 };
    expect(finalizeSpec(raw(ws, { budget, model: { name: 'my-local-llm', price } }), {}).budget.maxCostUsd).toBe(5);
    expect(finalizeSpec(raw(ws, { budget, model: { name: 'gpt-5.1-2025-11-13' } }), {}).budget.maxCostUsd).toBe(5);
    // No model named here: the worker's default decides, and the goal reports a missing price itself.
    expect(finalizeSpec(raw(ws, { budget }), {}).budget.maxCostUsd).toBe(5);
  });
});

describe('editFromFlags', () => {
  test('--max-cost edits budget.maxCostUsd beside the other budget flags', () => {
    expect(editFromFlags({ maxCost: '12.5', maxTurns: '80', reason: 'worth it' })).toEqual({
      budget: { maxCostUsd: 12.5, maxTurns: 80 },
      reason: 'worth it',
    });
  });

  test('a flag overrides the same budget field of an edit file and keeps the others', () => {
    const file = path.join(tempDir(), 'edit.yaml');
    writeFileSync(file, 'budget: { maxCostUsd: 4, maxHours: 2 }\n');
    expect(editFromFlags({ file, maxCost: '6' })).toEqual({ budget: { maxCostUsd: 6, maxHours: 2 } });
  });

  test('a bad --max-cost is an edit rejection naming the flag', () => {
    for (const bad of ['-3', 'ten', '0']) {
      let thrown: unknown;
      try {
        editFromFlags({ maxCost: bad });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidEditError);
      expect((thrown as InvalidEditError).problems).toEqual([
        `--max-cost "${bad}": must be a positive number of US dollars, e.g. 20 or 2.50`,
      ]);
    }
  });
});

describe('found by fuzzing (test/fuzz-spec.test.ts)', () => {
  test('a flag value is quoted and cut in the message: no raw newline, no 300 KB echo', () => {
    expect(problemsOf(() => inlineSpec('x', { check: ['true'], maxTurns: '\n\t ' }))).toEqual([
      '--max-turns "\\n\\t ": must be a whole number',
    ]);
    const [long] = problemsOf(() => inlineSpec('x', { check: ['true'], maxTurns: 'x'.repeat(300_000) }));
    expect(long).toBe(`--max-turns "${'x'.repeat(80)}…": must be a whole number`);
  });

  test('a workspace with a NUL byte is refused as such', () => {
    expect(
      problemsOf(() =>
        finalizeSpec({ objective: 'x', workspace: '/tmp/a\0b', checks: [{ name: 't', command: 'true' }] }),
      ),
    ).toEqual(['workspace: "/tmp/a\\u0000b" contains a NUL byte: pass the path of your repository']);
  });

  test('a spec file nested too deeply says so instead of "Maximum call stack size exceeded"', () => {
    const file = path.join(tempDir(), 'goal.yaml');
    writeFileSync(file, `${'['.repeat(5000)}${']'.repeat(5000)}`);
    const problems = problemsOf(() => readSpecFile(file));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('is nested too deeply to read');
    expect(problems[0]).not.toContain('Maximum call stack');
  });

  test('an edit file whose YAML alias contains itself is refused with InvalidEditError', () => {
    const file = path.join(tempDir(), 'edit.yaml');
    writeFileSync(file, '&a { objective: y, budget: *a }\n');
    expect(() => editFromFlags({ file })).toThrow(InvalidEditError);
  });
});
