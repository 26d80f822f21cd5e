import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JUDGE_INSTRUCTIONS } from '../activities/verification/judge';
import { FileGoalStore } from '../activities/store/files';
import { allText, lastToolResults, type FakeReply, type RecordedRequest } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';
import type { GoalSpecInput } from '../goal/spec';
import { useServerAndFake } from './helpers/suite';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();

const isJudge = (r: RecordedRequest) => String(r.body.instructions ?? '').startsWith(JUDGE_INSTRUCTIONS.slice(0, 40));
const agentRequests = () => suite.fake.requests.filter((r) => !isJudge(r));
const shell = (command: string): FakeReply => ({ toolCalls: [{ name: 'shell', arguments: { command } }] });
const write = (p: string, content: string): FakeReply => ({
  toolCalls: [{ name: 'write_file', arguments: { path: p, content } }],
});
const done: FakeReply = { toolCalls: [{ name: 'done', arguments: { summary: 'all good' } }] };

/** A workspace whose benchmark (protected) runs the code under test (work.sh, free to change). */
const SLOW = { 'bench.sh': 'bash work.sh\n', 'work.sh': 'sleep 0.3\n' };

test('a relative target is met by paired runs against the baseline worktree: slow.sh made 2× faster ends achieved', async () => {
  const ws = gitWorkspace(SLOW);
  suite.fake.setScript([write('work.sh', 'sleep 0.12\n')]);
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(
    h,
    {
      objective: 'Make the benchmark at least 30% faster',
      workspace: ws,
      metrics: [{ name: 'bench_seconds', command: 'bash bench.sh', direction: 'lower', target: { relative: -0.3 } }],
    },
    'faster-bench',
  );
  expect(outcome.status).toBe('achieved');
  const metric = status.metrics[0]!;
  expect(metric.verdict).toBe('MET');
  expect(metric.pairs!.n).toBeGreaterThanOrEqual(10);
  expect(metric.pairs!.passes).toBeGreaterThanOrEqual(9);
  expect(metric.baseline!).toBeGreaterThan(0.25);
  expect(metric.latest!).toBeLessThan(0.25);
  expect(status.integrity.protectedFiles).toBe(0); // bench.sh is the timed workload: editable (issue 19)
  const ledger = await new FileGoalStore(h.home).readLedger('faster-bench');
  const paired = ledger.filter((r) => r.kind === 'paired-sample' && r.label === 'turn 1');
  expect(paired.filter((r) => r.role === 'baseline').length).toBe(metric.pairs!.n);
  expect(paired.filter((r) => r.role === 'candidate').length).toBe(metric.pairs!.n);
  expect(ledger.filter((r) => r.label === 'noise (A/A)').length).toBe(10);
});

describe('red team: tricks that must not end achieved', () => {
  const fixTests = (ws: string, extra: Partial<GoalSpecInput> = {}): GoalSpecInput => ({
    objective: 'Make node test.js pass',
    workspace: ws,
    checks: [{ name: 'tests', command: 'node test.js' }],
    budget: { maxTurns: 3 },
    ...extra,
  });

  // The next three run unsandboxed (sandbox: off), where a shell edit lands: the after-the-fact restore, the second
  // line of defence, must catch it. Sandboxed, the same edits fail at once (the tricks at the end of this block).
  test('editing a protected test: the write tool refuses, an unsandboxed shell edit is undone and reported', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([write('test.js', "console.log('ok')\n"), shell('echo "console.log(\'ok\')" > test.js')]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(h, { ...fixTests(ws), sandbox: 'off' }, 'rt-edit-test');
    expect(outcome.status).toBe('budget_exhausted');
    expect(lastToolResults(agentRequests()[1]!)[0]!.output).toContain('test.js is protected');
    expect(allText(agentRequests()[2]!)).toContain(
      'INTEGRITY VIOLATION: you changed protected files: test.js (modified)',
    );
    expect(status.integrity).toMatchObject({ violations: 1, last: { turn: 2, paths: ['test.js (modified)'] } });
    expect(readFileSync(path.join(ws, 'test.js'), 'utf8')).toBe(BUGGY_STATS['test.js']);
  });

  test('deleting failing tests (unsandboxed) is undone and reported', async () => {
    const ws = gitWorkspace({
      'stats.js': BUGGY_STATS['stats.js'],
      'tests/ok.test.js': "require('node:assert').strictEqual(1, 1);\n",
      'tests/median.test.js': BUGGY_STATS['test.js'].replace("'./stats'", "'../stats'"),
      'run-tests.js':
        "for (const f of require('fs').readdirSync('tests')) require('./tests/' + f);\nconsole.log('pass');\n",
    });
    suite.fake.setScript([shell('rm tests/median.test.js'), done]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(
      h,
      {
        ...fixTests(ws),
        checks: [{ name: 'tests', command: 'node run-tests.js' }],
        protect: ['tests/**'],
        sandbox: 'off',
      },
      'rt-delete-tests',
    );
    expect(outcome.status).toBe('budget_exhausted');
    expect(status.integrity.last?.paths).toEqual(['tests/median.test.js (deleted)']);
    expect(readFileSync(path.join(ws, 'tests/median.test.js'), 'utf8')).toContain('median');
    expect(allText(agentRequests()[1]!)).toContain('INTEGRITY VIOLATION');
  });

  test('editing the metric script (unsandboxed) to print a better number is undone and reported', async () => {
    const ws = gitWorkspace({ ...BUGGY_STATS, 'count-failures.sh': 'node test.js >/dev/null 2>&1; echo $?\n' });
    suite.fake.setScript([shell("echo 'echo 0' > count-failures.sh"), done]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(
      h,
      {
        objective: 'No failing tests',
        workspace: ws,
        metrics: [
          {
            name: 'failures',
            command: 'sh count-failures.sh',
            measure: 'stdout_number',
            pattern: '(\\d+)',
            direction: 'lower',
            target: { absolute: 0 },
          },
        ],
        budget: { maxTurns: 3 },
        sandbox: 'off',
      },
      'rt-metric-script',
    );
    expect(outcome.status).toBe('budget_exhausted');
    expect(status.integrity.last?.paths).toEqual(['count-failures.sh (modified)']);
    expect(status.metrics[0]).toMatchObject({ latest: 1, verdict: 'NOT_MET' });
  });

  test('hard-coding the visible test’s answers is caught by a held-out check the agent never sees', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const hidden = tempDir('longhaul-holdout-');
    mkdirSync(hidden, { recursive: true });
    const holdoutScript = path.join(hidden, 'more-cases.js');
    writeFileSync(
      holdoutScript,
      "const assert = require('node:assert');\nconst { median } = require(process.cwd() + '/stats.js');\nassert.strictEqual(median([7, 1, 30]), 7);\nassert.strictEqual(median([4, 8]), 6);\n",
    );
    const hardCoded = `function median(xs) {
  const key = JSON.stringify(xs);
  return { '[3,1,2]': 2, '[10,9,1,2]': 5.5, '[100,20,3]': 20 }[key];
}
module.exports = { median };
`;
    suite.fake.setScript([write('stats.js', hardCoded), done]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(
      h,
      { ...fixTests(ws), holdout: [{ name: 'secret cases', command: `node ${holdoutScript}` }] },
      'rt-hardcode',
    );
    expect(outcome.status).toBe('budget_exhausted');
    expect(status.checks[0]).toMatchObject({ latest: true }); // the visible test passes
    expect(status.holdout).toEqual([{ name: 'secret cases', latest: false }]);
    const seen = suite.fake.requests.map((r) => JSON.stringify(r.body)).join('\n');
    expect(seen).toContain('held-out check (hidden from you on purpose) failed');
    expect(seen).not.toContain('secret cases');
    expect(seen).not.toContain(holdoutScript);
  });

  test('sandbox: a script file that edits a protected test fails at once (read-only), nothing to undo', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      shell('printf \'%s\\n\' "echo \\"console.log(\'ok\')\\" > test.js" > hack.sh && bash hack.sh'),
      done,
    ]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(h, fixTests(ws), 'rt-script-edit');
    expect(outcome.status).toBe('budget_exhausted');
    expect(lastToolResults(agentRequests()[1]!)[0]!.output).toContain('test.js: Read-only file system');
    expect(readFileSync(path.join(ws, 'test.js'), 'utf8')).toBe(BUGGY_STATS['test.js']);
    expect(status.integrity.violations).toBe(0);
  });

  test('sandbox: cat of a held-out check shows nothing of it', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const hidden = mkdtempSync('/var/tmp/longhaul-holdout-'); // outside /tmp, which is private in the sandbox anyway
    const holdoutScript = path.join(hidden, 'more-cases.js');
    writeFileSync(holdoutScript, '// expected: median([7, 1, 30]) === 7\nprocess.exit(1);\n');
    try {
      suite.fake.setScript([shell(`cat ${holdoutScript}; ls ${hidden}`), done]);
      const h = await createHarness(suite.env, suite.fake);
      const { status } = await runGoal(
        h,
        { ...fixTests(ws), holdout: [{ name: 'secret cases', command: `node ${holdoutScript}` }] },
        'rt-cat-holdout',
      );
      const output = lastToolResults(agentRequests()[1]!)[0]!.output;
      expect(output).toMatch(/^exit code 0/);
      expect(output).not.toContain('median([7, 1, 30])');
      expect(status.holdout).toEqual([{ name: 'secret cases', latest: false }]); // it still ran, outside
    } finally {
      rmSync(hidden, { recursive: true, force: true });
    }
  });

  test('sandbox: a background process left running after the call (even in its own session) is ended with it', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      shell('setsid nohup bash -c \'sleep 2; echo "console.log(1)" > late.js\' > /dev/null 2>&1 & echo started'),
      done,
    ]);
    const h = await createHarness(suite.env, suite.fake);
    await runGoal(h, fixTests(ws), 'rt-background');
    expect(lastToolResults(agentRequests()[1]!)[0]!.output).toContain('started');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(existsSync(path.join(ws, 'late.js'))).toBe(false);
  });

  test('calling done without any change is verified and refused', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([done, done]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome } = await runGoal(h, { ...fixTests(ws), budget: { maxTurns: 2 } }, 'rt-done');
    expect(outcome.status).toBe('budget_exhausted');
    expect(allText(agentRequests()[1]!)).toContain(
      "You called `done`, but the orchestrator's verification says the goal is not met yet",
    );
  });

  test('making the metric faster by breaking a check does not count', async () => {
    const ws = gitWorkspace({ ...BUGGY_STATS, ...SLOW });
    suite.fake.setScript([
      {
        toolCalls: [
          { name: 'write_file', arguments: { path: 'work.sh', content: 'true\n' } },
          { name: 'write_file', arguments: { path: 'stats.js', content: 'oops' } },
        ],
      },
      done,
    ]);
    const h = await createHarness(suite.env, suite.fake);
    const { outcome, status } = await runGoal(
      h,
      {
        objective: 'Faster, tests still green',
        workspace: ws,
        metrics: [
          { name: 'bench_seconds', command: 'bash bench.sh', direction: 'lower', target: { absolute: 0.2 }, repeat: 3 },
        ],
        checks: [{ name: 'tests', command: 'node test.js' }],
        budget: { maxTurns: 2 },
      },
      'rt-break-check',
    );
    expect(outcome.status).toBe('budget_exhausted');
    expect(status.metrics[0]!.verdict).toBe('MET');
    expect(status.checks[0]!.latest).toBe(false);
  });
});

test('a check failing at baseline is reported before the first model turn', async () => {
  const ws = gitWorkspace(BUGGY_STATS);
  suite.fake.setScript([write('stats.js', FIXED_MEDIAN)]);
  const h = await createHarness(suite.env, suite.fake);
  const { status } = await runGoal(
    h,
    { objective: 'Make node test.js pass', workspace: ws, checks: [{ name: 'tests', command: 'node test.js' }] },
    'baseline-check',
  );
  expect(status.warnings).toContain('check "tests" fails at baseline, before any change: the goal must make it pass');
  expect(allText(agentRequests()[0]!)).toContain('check "tests": FAILS');
});

test('checklist items: a command verifies one, the skeptical judge the other; its refusal reaches the agent', async () => {
  const ws = gitWorkspace({ ...BUGGY_STATS, 'README.md': '# stats\n' });
  let judgeCalls = 0;
  suite.fake.setScript((req, i) => {
    if (isJudge(req)) {
      judgeCalls++;
      const verified = allText(req).includes('+The median of an even-length list is the mean of the middle two.');
      return {
        text: `\`\`\`json\n{"verdicts":[{"index":0,"verified":${verified},"reason":"${verified ? 'the README says so' : 'the README does not mention it'}"}]}\n\`\`\``,
      };
    }
    if (i === 0) return write('stats.js', FIXED_MEDIAN);
    return write('README.md', '# stats\n\nThe median of an even-length list is the mean of the middle two.\n');
  });
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(
    h,
    {
      ...NO_FINISHING,
      objective: 'Fix median and document it',
      workspace: ws,
      checklist: [
        { item: 'the tests pass', command: 'node test.js' },
        'The README explains how the median of an even-length list is computed.',
      ],
    },
    'checklist-judge',
  );
  expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(judgeCalls).toBe(2);
  expect(allText(agentRequests()[1]!)).toContain('Checklist item not verified (judge)');
  expect(allText(agentRequests()[1]!)).toContain('the README does not mention it');
  expect(status.checklist).toEqual([
    { item: 'the tests pass', verified: true, by: 'command', reason: '`node test.js` exits 0' },
    {
      item: 'The README explains how the median of an even-length list is computed.',
      verified: true,
      by: 'judge',
      reason: 'the README says so',
    },
  ]);
});
