import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GoalStatusView } from '../goal/status';
import { runCli } from './helpers/cli';
import { createHarness } from './helpers/goal-harness';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';
import { useServerAndFake } from './helpers/suite';

const suite = useServerAndFake();

async function goalCount(): Promise<number> {
  let n = 0;
  for await (const _ of suite.env.client.workflow.list({ query: "WorkflowType = 'goalWorkflow'" })) n++;
  return n;
}

describe('longhaul CLI', () => {
  test('a bad spec is refused with the field and the fix, exit code 2, and no goal starts', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const spec = path.join(tempDir(), 'goal.yaml');
    writeFileSync(
      spec,
      [
        'objective: Make it faster',
        `workspace: ${ws}`,
        'metrics:',
        '  - name: build_seconds',
        '    command: npm run build',
        '    direction: lower',
        '    target: { relative: 0.3 }',
        'budget: { maxTurns: 0, maxTurn: 5 }',
      ].join('\n'),
    );
    const before = await goalCount();
    const r = await runCli(['start', spec], { TEMPORAL_ADDRESS: suite.env.address });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid goal spec');
    expect(r.stderr).toContain(
      'metrics[0].target.relative: direction is "lower" but the relative target 0.3 points the other way: use -0.3',
    );
    expect(r.stderr).toContain('budget: unknown field "maxTurn": remove or fix the spelling');
    expect(r.stderr).toMatch(/budget\.maxTurns: .*>=1/);
    expect(r.stdout).toBe('');
    expect(await goalCount()).toBe(before);
  });

  test('inline goals need a criterion and a git workspace', async () => {
    const noCriterion = await runCli(['start', 'Do something', '--workspace', gitWorkspace({ a: 'a' })], {
      TEMPORAL_ADDRESS: suite.env.address,
    });
    expect(noCriterion.code).toBe(2);
    expect(noCriterion.stderr).toContain(
      'a goal needs a verifiable exit criterion: add a metric (--metric-cmd) or a check (--check)',
    );
    const notGit = await runCli(['start', 'Do something', '--workspace', tempDir(), '--check', 'true'], {
      TEMPORAL_ADDRESS: suite.env.address,
    });
    expect(notGit.code).toBe(2);
    expect(notGit.stderr).toMatch(/is not a git repository: run `git init/);
    const badTarget = await runCli(['start', 'x', '--metric-cmd', 'true', '--target', 'fast'], {
      TEMPORAL_ADDRESS: suite.env.address,
    });
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain(
      '--target "fast": use a number (absolute, e.g. 2.5) or a percentage (relative, e.g. -30%)',
    );
  });

  test('start --wait runs an inline goal to achieved; status, list and --json report it', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const h = await createHarness(suite.env, suite.fake);
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue };
    const { started, statusJson, statusHuman, list } = await h.worker.runUntil(async () => {
      const started = await runCli(
        [
          'start',
          'Make the tests pass',
          '--check',
          'node test.js',
          '--max-turns',
          '5',
          '--id',
          'cli-goal',
          '--wait',
          '--json',
        ],
        cliEnv,
        ws,
      );
      const [statusJson, statusHuman, list] = await Promise.all([
        runCli(['status', 'cli-goal', '--json'], cliEnv),
        runCli(['status', 'cli-goal'], cliEnv),
        runCli(['list', '--json'], cliEnv),
      ]);
      return { started, statusJson, statusHuman, list };
    });
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ goalId: 'cli-goal', status: 'achieved' });
    const status = JSON.parse(statusJson.stdout) as GoalStatusView;
    expect(status).toMatchObject({ goalId: 'cli-goal', status: 'achieved', turn: 1, workspace: ws });
    expect(status.checks).toEqual([{ name: 'check', baseline: false, latest: true }]);
    expect(statusHuman.stdout).toContain('cli-goal  ACHIEVED');
    expect(statusHuman.stdout).toContain('check check: baseline FAIL → latest pass');
    expect(JSON.parse(list.stdout)).toContainEqual(
      expect.objectContaining({ goalId: 'cli-goal', status: 'achieved', turns: 1, objective: 'Make the tests pass' }),
    );
  });

  test('start --wait exits 3 when the goal is not achieved, and cancel records cancelled', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript(() => ({
      toolCalls: [{ name: 'shell', arguments: { command: 'sleep 0.2; echo thinking' } }],
    }));
    const h = await createHarness(suite.env, suite.fake);
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue };
    const { exhausted, cancelled } = await h.worker.runUntil(async () => {
      const exhausted = await runCli(
        ['start', 'Fix it', '--check', 'node test.js', '--max-turns', '2', '--wait'],
        cliEnv,
        ws,
      );
      const start = await runCli(
        ['start', 'Fix it', '--check', 'node test.js', '--max-turns', '1000', '--id', 'to-cancel'],
        cliEnv,
        ws,
      );
      expect(start.stdout.trim()).toBe('to-cancel');
      const handle = suite.env.client.workflow.getHandle('to-cancel');
      // Cancel while the goal is mid-turn (an activity is running).
      while (!(await handle.describe()).raw.pendingActivities?.length) await new Promise((r) => setTimeout(r, 50));
      const cancel = await runCli(['cancel', 'to-cancel'], cliEnv);
      expect(cancel.code).toBe(0);
      await expect(handle.result()).rejects.toThrow(/cancel/i);
      const status = await runCli(['status', 'to-cancel', '--json'], cliEnv);
      return { exhausted, cancelled: JSON.parse(status.stdout) as GoalStatusView };
    });
    expect(exhausted.code).toBe(3);
    expect(exhausted.stdout).toMatch(/budget_exhausted: used all 2 turns/);
    expect(cancelled).toMatchObject({ status: 'cancelled', phase: 'done', reason: 'cancelled by the user' });
    expect(readFileSync(path.join(ws, 'stats.js'), 'utf8')).toBe(BUGGY_STATS['stats.js']); // workspace intact
    const missing = await runCli(['status', 'no-such-goal'], { TEMPORAL_ADDRESS: suite.env.address });
    expect(missing.code).toBe(5);
  });

  test('an unreachable Temporal server is reported with what to do, exit code 4', async () => {
    const r = await runCli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(r.stderr).toContain('longhaul dev');
  });
});
