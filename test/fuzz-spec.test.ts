/**
 * Bad input, goal specs: whatever a user writes — any JSON or YAML value, wrong types, huge strings, NUL bytes,
 * absolute paths, "..", unknown keys — `parseGoalSpec`, `readSpecFile`, `inlineSpec` and `finalizeSpec` either
 * return a valid spec or throw an InvalidSpecError whose every line names the field and the fix; never another
 * exception, never a hang, never a file created.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { finalizeSpec, inlineSpec, readSpecFile, type InlineGoalOptions } from '../client/spec-input';
import { InvalidSpecError, MEASURE_KINDS, parseGoalSpec, type GoalSpec } from '../goal/spec';
import { mutatedSpec, validSpec } from './helpers/spec-arbitraries';
import {
  FUZZ_RUNS,
  HUGE,
  expectClearProblems,
  fuzzParams,
  nastyString,
  shortNastyString,
  nastyValue,
  timed,
} from './helpers/fuzz';

const tempDirs: string[] = [];
let savedCeiling: string | undefined;

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'longhaul-fuzz-spec-'));
  tempDirs.push(dir);
  return dir;
}

let repo: string;
let plainDir: string;
let aFile: string;

beforeAll(() => {
  // A folder under the temp dir must not be taken for part of an enclosing repository.
  savedCeiling = process.env.GIT_CEILING_DIRECTORIES;
  process.env.GIT_CEILING_DIRECTORIES = os.tmpdir();
  repo = tempDir();
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, stdio: 'pipe' });
  plainDir = tempDir();
  aFile = path.join(plainDir, 'file.txt');
  writeFileSync(aFile, 'not a folder\n');
});

afterAll(() => {
  if (savedCeiling === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
  else process.env.GIT_CEILING_DIRECTORIES = savedCeiling;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A value that is mostly `valid` and sometimes anything at all (or left out, when the field is optional). */
function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: nastyValue });
}

const metricName = fc.oneof(
  fc.constantFrom('build_seconds', 'score', 'a', 'm.x-1'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,70}$/),
);
const command = fc.oneof(fc.constantFrom('npm test', 'true', 'echo 1'), nastyString);
const target = fc.oneof(
  fc.record({ absolute: fc.oneof(fc.double(), fc.integer()) }),
  fc.record({ relative: fc.oneof(fc.double({ min: -0.99, max: 2 }), fc.double()) }),
  fc.record({ absolute: fc.integer(), relative: fc.double() }),
);
const metric = fc.record(
  {
    name: field(metricName),
    command: field(command),
    measure: field(fc.constantFrom(...MEASURE_KINDS)),
    pattern: field(fc.oneof(fc.constantFrom('(\\d+) failing', '(a+)+$', '(', '\\'), fc.string())),
    path: field(fc.constantFrom('stats.total', '', '__proto__.x', '..')),
    report: field(fc.constantFrom('junit.xml', '/etc/passwd', '../out.xml')),
    count: field(fc.constantFrom('failed', 'passed', 'total')),
    repeat: field(fc.integer({ min: -1, max: 120 })),
    warmup: field(fc.integer({ min: -1, max: 12 })),
    deterministic: field(fc.boolean()),
    direction: field(fc.constantFrom('lower', 'higher')),
    target: field(target),
    timeoutSeconds: field(fc.integer({ min: 0, max: 100_000 })),
  },
  { requiredKeys: ['name', 'command', 'direction', 'target'] },
);
const check = fc.record(
  { name: field(fc.string({ maxLength: 20 })), command: field(command), timeoutSeconds: field(fc.integer()) },
  { requiredKeys: ['name', 'command'] },
);
const checklistItem = fc.oneof(
  nastyString,
  shortNastyString,
  fc.record({ item: field(fc.string()), command: field(command) }, { requiredKeys: ['item'] }),
);

/** Near-valid specs: the right shape, each field now and then replaced by something hostile. */
const specLike = fc
  .record(
    {
      objective: field(fc.oneof(fc.constantFrom('make the tests pass'), nastyString)),
      workspace: field(fc.oneof(fc.constantFrom('/repo', '.', '../..'), nastyString)),
      guidance: field(nastyString),
      plan: field(nastyString),
      metrics: field(fc.array(metric, { maxLength: 3 })),
      checks: field(fc.array(check, { maxLength: 3 })),
      checklist: field(fc.array(checklistItem, { maxLength: 3 })),
      holdout: field(fc.array(check, { maxLength: 2 })),
      protect: field(fc.array(nastyString, { maxLength: 3 })),
      budget: field(
        fc.record(
          {
            maxTurns: field(fc.integer({ min: -5, max: 2_000_000 })),
            maxTokens: field(fc.integer()),
            maxHours: field(fc.double()),
            maxCostUsd: field(fc.double()),
          },
          { requiredKeys: [] },
        ),
      ),
      model: field(
        fc.record(
          {
            name: field(fc.constantFrom('gpt-5.1', 'local-llm', '')),
            api: field(fc.constantFrom('responses', 'chat')),
            reasoningEffort: field(fc.constantFrom('minimal', 'low', 'medium', 'high')),
            price: field(fc.record({ inputPerMTok: field(fc.double()), outputPerMTok: field(fc.double()) })),
            contextWindow: field(fc.integer()),
            compactAt: field(fc.double({ min: 0, max: 1 })),
          },
          { requiredKeys: [] },
        ),
      ),
      stall: field(fc.record({ noProgress: field(fc.integer()), repeatedFailures: field(fc.integer()) })),
      git: field(
        fc.record(
          {
            branch: field(fc.constantFrom('longhaul/x', 'main', 'a..b', 'has space', '-x')),
            milestones: field(fc.boolean()),
            remote: field(nastyString),
          },
          { requiredKeys: [] },
        ),
      ),
      report: field(fc.record({ slackChannel: field(nastyString), mirror: field(nastyString) }, { requiredKeys: [] })),
      finalize: field(fc.record({ reflect: field(fc.boolean()), cleanupTurns: field(fc.integer()) })),
    },
    { requiredKeys: ['objective', 'workspace'] },
  )
  .chain((spec) =>
    // Now and then an unknown key, e.g. a misspelled field or "__proto__".
    fc.option(fc.tuple(shortNastyString, nastyValue), { freq: 5 }).map((extra) => {
      if (extra === null) return spec;
      const withExtra: Record<string, unknown> = { ...spec };
      Object.defineProperty(withExtra, extra[0], { value: extra[1], enumerable: true, writable: true });
      return withExtra;
    }),
  );

const anySpecInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: validSpec },
  { weight: 6, arbitrary: mutatedSpec },
  { weight: 3, arbitrary: specLike },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: nastyValue },
);

/** `spec` with its workspace set, when it is an object. */
function withWorkspace(spec: unknown, workspace: unknown): unknown {
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? { ...spec, workspace } : spec;
}

/** The problems of the InvalidSpecError that `err` must be; fails on any other exception. */
function specProblems(err: unknown): readonly string[] {
  if (!(err instanceof InvalidSpecError)) throw err; // e.g. a TypeError from a validator: the property fails
  return [...err.problems];
}

/** The spec `parse` returns, or the problems it is refused with, and how long it took. */
function timedSpec(parse: () => GoalSpec): { value: GoalSpec | readonly string[]; ms: number } {
  return timed(() => {
    try {
      return parse();
    } catch (err) {
      return specProblems(err);
    }
  });
}

/** A valid spec survives a JSON and a YAML round trip unchanged (the CLI, drafts and histories serialize it). */
function expectRoundTrips(spec: GoalSpec): void {
  const viaJson = parseGoalSpec(JSON.parse(JSON.stringify(spec)));
  expect(JSON.stringify(viaJson)).toBe(JSON.stringify(spec));
  const viaYaml = parseGoalSpec(YAML.parse(YAML.stringify(spec)));
  expect(JSON.stringify(viaYaml)).toBe(JSON.stringify(spec));
}

describe('fuzzing goal specs', () => {
  // Would catch: a validator (superRefine, a refine on a non-string) throwing a TypeError instead of reporting the
  // field; a message made of "[object Object]" or echoing a 300 KB value; a spec that validates but changes on its way
  // through JSON or YAML (NaN, -0, undefined fields); a slow or catastrophic check on a field.
  test('parseGoalSpec returns a spec that round-trips, or names every bad field with its fix', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(anySpecInput, (input) => {
        const { value, ms } = timedSpec(() => parseGoalSpec(input));
        expect(ms).toBeLessThan(1000);
        if (Array.isArray(value)) {
          invalid++;
          expectClearProblems(value as readonly string[]);
        } else {
          valid++;
          expectRoundTrips(value as GoalSpec);
        }
      }),
      fuzzParams(FUZZ_RUNS.spec),
    );
    // Both outcomes must be exercised, or the generator has drifted and the property proves nothing.
    expect(valid).toBeGreaterThan(FUZZ_RUNS.spec / 50);
    expect(invalid).toBeGreaterThan(FUZZ_RUNS.spec / 50);
  });

  // Would catch: a YAML document that makes the reader throw something other than InvalidSpecError (a cycle through
  // an alias, a deep nesting, a binary tag), a relative workspace not resolved against the file's folder, and
  // finalizeSpec passing a workspace with a NUL byte or outside any repository on to Temporal.
  test('readSpecFile + finalizeSpec: any file gives a spec for an existing git workspace, or a clear InvalidSpecError', () => {
    const dir = tempDir();
    const workspaceValue = fc.oneof(
      fc.constant(repo),
      fc.constant(path.relative(dir, repo)),
      fc.constantFrom(plainDir, aFile, '/nonexistent/x', '../../..', 'a\0b', '/etc', ''),
      nastyString,
    );
    const document = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(fc.oneof(validSpec, mutatedSpec, specLike), workspaceValue)
          .map(([s, ws]) => YAML.stringify(withWorkspace(s, ws)) ?? ''),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.oneof(validSpec, mutatedSpec, specLike), workspaceValue)
          .map(([s, ws]) => JSON.stringify(withWorkspace(s, ws)) ?? ''),
      },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? '') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '\0',
          '---\n...\n',
          'objective: [unclosed',
          '&a { objective: x, workspace: /repo, model: *a }',
          'objective: x\nworkspace: /repo\nchecks: &c [ *c ]\n',
          '&a [*a]',
          'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
          `${'['.repeat(5000)}${']'.repeat(5000)}`,
          `objective: x\nworkspace: ${repo}\nchecks: [{name: t, command: !!binary aGVsbG8=}]\n`,
          `objective: !!js/function "function(){}"\nworkspace: ${repo}\n`,
          `objective: .nan\nworkspace: ${repo}\n`,
          `objective: x\nworkspace: ${repo}\nbudget: { maxTurns: .inf }\nchecks: [{ name: t, command: "true" }]\n`,
          `objective: x\nworkspace: ${repo}\n? [complex, key]\n: 1\nchecks: [{ name: t, command: "true" }]\n`,
          `objective: ${HUGE}\nworkspace: ${repo}\n`,
        ),
      },
    );
    const before = readdirSync(repo);
    let started = 0;
    let refused = 0;
    fc.assert(
      fc.property(document, fc.constantFrom('goal.yaml', 'goal.json', 'goal.yml'), (text, name) => {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        const { value, ms } = timedSpec(() => finalizeSpec(readSpecFile(file), {}));
        expect(ms).toBeLessThan(2000);
        if (Array.isArray(value)) {
          refused++;
          expectClearProblems(value as readonly string[]);
        } else {
          started++;
          const spec = value as GoalSpec;
          expect(path.isAbsolute(spec.workspace)).toBe(true);
          expect(spec.workspace).toBe(repo); // the only git repository on offer
        }
      }),
      fuzzParams(FUZZ_RUNS.specFile),
    );
    expect(readdirSync(repo)).toEqual(before); // validation wrote nothing into the workspace
    expect(started).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  // Would catch: a flag value that throws a TypeError or a RangeError (a huge --max-turns, "--target 1e999"), a
  // relative or ".." workspace not resolved against the current folder, or a workspace outside any repository that
  // finalizeSpec lets through.
  test('inlineSpec + finalizeSpec: any flags give a spec for an existing git workspace, or a clear InvalidSpecError', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'sub'));
    const flag = (valid: fc.Arbitrary<string>) =>
      fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: nastyString });
    const hostile: fc.Arbitrary<InlineGoalOptions> = fc.record(
      {
        workspace: fc.oneof(
          fc.constant(repo),
          fc.constant(path.relative(cwd, repo)),
          fc.constantFrom('.', 'sub', '..', '../..', '/', '/nonexistent', aFile, 'a\0b'),
          nastyString,
        ),
        metricCmd: flag(fc.constantFrom('npm run build', 'true')),
        metricName: flag(metricName),
        measure: flag(fc.constantFrom(...MEASURE_KINDS)),
        pattern: flag(fc.constantFrom('(\\d+)', '(')),
        direction: flag(fc.constantFrom('lower', 'higher')),
        target: flag(fc.constantFrom('2.5', '-30%', 'relative:-0.3', 'absolute:1e3', '0%', '1e999', '-100%', '+5%')),
        repeat: flag(fc.constantFrom('5', '0', '101', '9'.repeat(400))),
        check: fc.array(flag(fc.constantFrom('npm test', 'true')), { maxLength: 3 }),
        guidance: nastyString,
        maxTurns: flag(fc.constantFrom('10', '0', '1000001', '9'.repeat(400), '1.5')),
        maxTokens: flag(fc.constantFrom('1000', '0', '9'.repeat(400))),
        maxHours: flag(fc.constantFrom('4', '0.5', '0', '9'.repeat(400))),
        maxCost: flag(fc.constantFrom('20', '$2.50', '.5', '0', '-1')),
        model: flag(fc.constantFrom('gpt-5.1', 'local-llm')),
        modelApi: flag(fc.constantFrom('responses', 'chat')),
        branch: flag(fc.constantFrom('longhaul/x', 'main', 'a..b', 'x y')),
        slackChannel: flag(fc.constantFrom('#goals', 'C123')),
        review: fc.boolean(),
        cleanupTurns: flag(fc.constantFrom('0', '3', '21', '9'.repeat(400))),
      },
      { requiredKeys: ['workspace'] },
    );
    // Also: a valid start (the repository, a check) with one of those flags added, so that valid specs come out too.
    const oneFlagOnAValidStart = fc.tuple(hostile, fc.nat()).map(([o, n]): InlineGoalOptions => {
      const keys = Object.keys(o).filter((k) => k !== 'workspace' && k !== 'check') as (keyof InlineGoalOptions)[];
      const k = keys[n % Math.max(1, keys.length)];
      return { workspace: repo, check: ['true'], ...(k !== undefined ? { [k]: o[k] } : {}) };
    });
    const options = fc.oneof(hostile, oneFlagOnAValidStart);
    const before = readdirSync(repo);
    let started = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(fc.constant('make the tests pass'), nastyString), options, (objective, o) => {
        const { value, ms } = timedSpec(() => finalizeSpec(inlineSpec(objective, o, cwd), {}));
        expect(ms).toBeLessThan(2000);
        if (Array.isArray(value)) {
          refused++;
          expectClearProblems(value as readonly string[]);
        } else {
          started++;
          expect((value as GoalSpec).workspace).toBe(repo);
        }
      }),
      fuzzParams(FUZZ_RUNS.inlineSpec),
    );
    expect(readdirSync(repo)).toEqual(before);
    expect(readdirSync(cwd)).toEqual(['sub']);
    expect(started).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

// Found by this fuzzing: goal/spec.ts echoed unknown keys and invalid patterns in full and unescaped, and accepted
// commands no shell can run. Regression tests.
describe('defects of goal/spec.ts found by fuzzing', () => {
  const base = { objective: 'x', workspace: '/repo', checks: [{ name: 't', command: 'true' }] };
  const problems = (input: unknown): readonly string[] => {
    try {
      parseGoalSpec(input);
    } catch (err) {
      return specProblems(err);
    }
    return [];
  };

  test('an unknown key is echoed shortened and escaped', () => {
    const raw = (() => {
      try {
        parseGoalSpec({ ...base, [`${'k'.repeat(20_000)}\n`]: 1 });
      } catch (err) {
        return (err as InvalidSpecError).problems;
      }
      return [];
    })();
    expectClearProblems(raw);
  });

  test('an invalid pattern is echoed shortened', () => {
    const metric = {
      name: 'm',
      command: 'true',
      measure: 'stdout_number',
      direction: 'lower',
      target: { absolute: 1 },
    };
    const raw = (() => {
      try {
        parseGoalSpec({ ...base, metrics: [{ ...metric, pattern: `(${'x'.repeat(20_000)}` }] });
      } catch (err) {
        return (err as InvalidSpecError).problems;
      }
      return [];
    })();
    expectClearProblems(raw);
  });

  test('a command with a NUL byte is refused: it could never be run', () => {
    expect(problems({ ...base, checks: [{ name: 't', command: 'npm\0test' }] }).length).toBeGreaterThan(0);
  });
});
