import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatStatus } from '../client/format';
import type { GoalListEntry } from '../client/goals';
import type { WatchEventLine, WatchLine } from '../client/watch';
import { GoalRun } from '../goal/run';
import { parseGoalSpec, type GoalSpec } from '../goal/spec';
import type { GoalStatusView } from '../goal/status';
import { runCli } from './helpers/cli';
import { createHarness } from './helpers/goal-harness';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';
import { useServerAndFake } from './helpers/suite';
import { goalCount } from './helpers/temporal';

/** `longhaul start` sends goals to this machine's host (LONGHAUL_HOST): the harness workers poll its queue too. */
const HOST = 'cli-host';

const suite = useServerAndFake();

/** Waits until the visibility store answers `query` with the goal: it trails the workflow by a moment. */
async function untilListed(goalId: string, query: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    for await (const wf of suite.env.client.workflow.list({ query: `${query} AND WorkflowId = '${goalId}'` })) {
      if (wf.workflowId === goalId) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${goalId} never matched ${query}`);
}

/** The spec a goal was started with, from the first event of its history. */
async function startedSpec(goalId: string): Promise<GoalSpec> {
  const history = await suite.env.client.workflow.getHandle(goalId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return (JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as { spec: GoalSpec }).spec;
}

/** Until the goal is mid-turn (an activity is running). */
async function untilMidTurn(goalId: string): Promise<void> {
  const handle = suite.env.client.workflow.getHandle(goalId);
  for (;;) {
    const d = await handle.describe();
    if (d.raw.pendingActivities?.length) return;
    if (d.status.name !== 'RUNNING') throw new Error(`${goalId} ended (${d.status.name}) before a turn was seen`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function jsonLines(stdout: string): WatchLine[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as WatchLine);
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
    const before = await goalCount(suite.env.client);
    const r = await runCli(['start', spec], { TEMPORAL_ADDRESS: suite.env.address });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid goal spec');
    expect(r.stderr).toContain(
      'metrics[0].target.relative: direction is "lower" but the relative target 0.3 points the other way: use -0.3',
    );
    expect(r.stderr).toContain('budget: unknown field "maxTurn": remove or fix the spelling');
    expect(r.stderr).toMatch(/budget\.maxTurns: .*>=1/);
    expect(r.stdout).toBe('');
    expect(await goalCount(suite.env.client)).toBe(before);
  });

  test("start warns when no worker polls the goal's host; --any-host starts it without one", async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: `nohost-${process.pid}` };
    const args = ['start', 'Make the tests pass', '--check', 'node test.js', '--workspace', ws];
    const hosted = await runCli([...args, '--host', 'nobody-here', '--id', 'hosted-goal'], cliEnv);
    expect(hosted.code).toBe(0);
    expect(hosted.stderr).toContain(
      `warning: no worker polls host "nobody-here" (task queue nohost-${process.pid}@nobody-here) right now: the goal waits until one does`,
    );
    const anyHost = await runCli([...args, '--any-host', '--id', 'any-host-goal'], cliEnv);
    expect(anyHost.code).toBe(0);
    expect(anyHost.stderr).toBe('protected  test.js: named by check check\n'); // what is protected and why
    const inputOf = async (id: string) => {
      const { events } = await suite.env.client.workflow.getHandle(id).fetchHistory();
      const payload = events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      return JSON.parse(Buffer.from(payload.data!).toString()) as { host?: string };
    };
    expect((await inputOf('hosted-goal')).host).toBe('nobody-here');
    expect((await inputOf('any-host-goal')).host).toBeUndefined();
    const badHost = await runCli([...args, '--host', 'no such host'], cliEnv);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toContain('is not a host name');
    for (const id of ['hosted-goal', 'any-host-goal']) await suite.env.client.workflow.getHandle(id).terminate('test');
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

  test('start --wait runs an inline goal to achieved, finishing included; status, list and --json report it', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
      { text: 'Tried: fixing median. Worked: it. Leftovers: none.' }, // the finishing review (on by default)
      { text: 'Nothing to clean up.' }, // clean-up turn 1 of 3: no tool call ends the clean-up
    ]);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOST: HOST };
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
    expect(status).toMatchObject({ goalId: 'cli-goal', status: 'achieved', turn: 2, workspace: ws });
    expect(status.host).toMatchObject({ name: HOST, lostSince: null, moves: 0 });
    expect(status.finalization).toMatchObject({
      reflection: 'Tried: fixing median. Worked: it. Leftovers: none.',
      cleanup: { ran: true, turns: 1, kept: true, reason: 'the clean-up changed nothing' },
    });
    expect(suite.fake.requests).toHaveLength(3);
    expect(status.checks).toEqual([{ name: 'check', baseline: false, latest: true }]);
    expect(statusHuman.stdout).toContain('cli-goal  ACHIEVED');
    expect(statusHuman.stdout).toContain('check check: baseline FAIL → latest pass');
    expect(JSON.parse(list.stdout)).toContainEqual(
      expect.objectContaining({ goalId: 'cli-goal', status: 'achieved', turns: 2, objective: 'Make the tests pass' }),
    );
  });

  test('start --wait exits 3 when the goal is not achieved, and cancel records cancelled', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    suite.fake.setScript(() => ({
      toolCalls: [{ name: 'shell', arguments: { command: 'sleep 0.2; echo thinking' } }],
    }));
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOST: HOST };
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

  test('list --status picks the running goal or the achieved one; an unknown status lists the valid ones', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOST: HOST };
    const { running, achieved, runningJson, edited, freed, watched } = await h.worker.runUntil(async () => {
      suite.fake.setScript([
        { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
      ]);
      const done = await runCli(
        ['start', 'Fix the median', '--check', 'node test.js', '--id', 'list-achieved', '--wait'],
        cliEnv,
        ws,
      );
      expect(done.code).toBe(0);
      suite.fake.setScript(() => ({ toolCalls: [{ name: 'shell', arguments: { command: 'sleep 0.2; echo busy' } }] }));
      // A workspace of its own: the first goal fixed `ws`, so a goal there would be achieved at its baseline.
      const busy = gitWorkspace(BUGGY_STATS);
      const start = await runCli(
        [
          'start',
          'Keep busy',
          '--check',
          'node test.js',
          '--max-turns',
          '1000',
          '--model',
          'gpt-5.1',
          '--id',
          'list-running',
        ],
        cliEnv,
        busy,
      );
      expect(start.code).toBe(0);
      await untilListed('list-achieved', "LonghaulStatus = 'achieved'");
      await untilListed('list-running', "LonghaulStatus = 'running'");
      const [running, achieved, runningJson] = await Promise.all([
        runCli(['list', '--status', 'running'], cliEnv),
        runCli(['list', '--status', 'achieved', '--json', '--limit', '1000'], cliEnv),
        runCli(['list', '--status', 'running', '--json'], cliEnv),
      ]);
      await untilMidTurn('list-running');
      const edited = await runCli(['edit', 'list-running', '--max-cost', '7', '--json'], cliEnv);
      const freed = await runCli(['edit', 'list-running', '--editable', 'test.js', 'lib/**', '--json'], cliEnv);
      // Follow the running goal as JSON lines while it is cancelled.
      const watching = runCli(['watch', 'list-running', '--json', '--interval', '100'], cliEnv);
      await runCli(['cancel', 'list-running'], cliEnv);
      return { running, achieved, runningJson, edited, freed, watched: await watching };
    });
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/^GOAL\s+STATUS/);
    expect(running.stdout).toMatch(/^list-running\s+running\s/m);
    expect(running.stdout).not.toContain('list-achieved');
    const achievedGoals = JSON.parse(achieved.stdout) as GoalListEntry[];
    expect(achievedGoals.map((g) => g.goalId)).toContain('list-achieved');
    expect(achievedGoals.map((g) => g.goalId)).not.toContain('list-running');
    expect(new Set(achievedGoals.map((g) => g.status))).toEqual(new Set(['achieved']));
    expect((JSON.parse(runningJson.stdout) as GoalListEntry[]).map((g) => g.goalId)).toContain('list-running');

    expect(edited.stderr).toBe('');
    expect(JSON.parse(edited.stdout)).toMatchObject({ changes: ['budget.maxCostUsd: none → 7'] });
    expect(JSON.parse(freed.stdout)).toMatchObject({
      changes: [
        'test.js is now editable (exempt from the automatic protection)',
        'lib/** is now editable (exempt from the automatic protection)',
      ],
    });

    expect(watched.code).toBe(3); // cancelled is not achieved
    const lines = jsonLines(watched.stdout);
    const events = lines.slice(0, -1) as WatchEventLine[];
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(e).toMatchObject({
        type: 'event',
        goalId: 'list-running',
        seq: expect.any(Number),
        text: expect.any(String),
      });
      expect(typeof e.turn).toBe('number');
      expect(typeof e.progress).toBe('number');
    }
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b)); // each event once, in order
    expect(lines.at(-1)).toMatchObject({
      type: 'end',
      outcome: { goalId: 'list-running', status: 'cancelled', reason: 'cancelled by the user' },
    });

    const missing = await runCli(['watch', 'no-such-goal', '--json'], { TEMPORAL_ADDRESS: suite.env.address });
    expect(missing.code).toBe(5);
    expect(missing.stdout).toBe('');

    const bad = await runCli(['list', '--status', 'done'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'Allowed choices are running, achieved, budget_exhausted, stalled, blocked, cancelled, failed',
    );
  });

  test('report: no document before the goal is measured (exit 5); afterwards the paths, --print and --json, without Temporal', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    // Nothing listens here: report must read the goal store alone.
    const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1', LONGHAUL_HOME: h.home };
    const before = await runCli(['report', 'cli-report'], offline);
    expect(before.code).toBe(5);
    expect(before.stdout).toBe('');
    expect(before.stderr).toContain('no progress document for cli-report');
    expect(before.stderr).toContain('the goal has not been measured yet');
    expect(before.stderr).toContain(`or the worker uses another LONGHAUL_HOME than ${h.home}`);
    const beforeJson = await runCli(['report', 'cli-report', '--json'], offline);
    expect(beforeJson.code).toBe(5);
    expect(JSON.parse(beforeJson.stdout)).toMatchObject({ exists: false });

    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOST: HOST };
    const { started, watched } = await h.worker.runUntil(async () => {
      const started = await runCli(
        ['start', 'Fix the median', '--check', 'node test.js', '--id', 'cli-report', '--wait'],
        cliEnv,
        ws,
      );
      const watched = await runCli(['watch', 'cli-report'], cliEnv); // the goal has ended: one frame
      return { started, watched };
    });
    expect(started.code).toBe(0);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('cli-report  ACHIEVED');
    expect(watched.stdout).toMatch(/progress \[█+\] 100%/);
    expect(watched.stdout).toMatch(/recent events:\n {2}\d\d:\d\d:\d\d · /);

    const markdown = path.join(h.home, 'goals', 'cli-report', 'progress.md');
    const html = path.join(h.home, 'goals', 'cli-report', 'progress.html');
    const [paths, printed, json] = await Promise.all([
      runCli(['report', 'cli-report'], offline),
      runCli(['report', 'cli-report', '--print'], offline),
      runCli(['report', 'cli-report', '--json'], offline),
    ]);
    expect(paths.code).toBe(0);
    expect(paths.stdout).toContain(`markdown  ${markdown}`);
    expect(paths.stdout).toContain(`html      ${html}`);
    // The goal has ended: --print shows its final report; the paths list both documents.
    const finalReport = path.join(h.home, 'goals', 'cli-report', 'REPORT.md');
    expect(paths.stdout).toContain(`final report:\n  markdown  ${finalReport}`);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(readFileSync(finalReport, 'utf8'));
    expect(printed.stdout).toMatch(/^# Final report: goal cli-report \(ACHIEVED\)/);
    expect(readFileSync(markdown, 'utf8')).toMatch(/^## Measurements \(\d+\)$/m);
    expect(JSON.parse(json.stdout)).toMatchObject({
      markdown,
      html,
      exists: true,
      final: { markdown: finalReport },
    });
    expect(existsSync(html)).toBe(true);
  });

  test('--max-cost, --branch and --slack-channel reach the spec; a cost budget needs a priced model', async () => {
    const ws = gitWorkspace(BUGGY_STATS);
    const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: HOST });
    const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue, LONGHAUL_HOST: HOST };
    const unpriced = await runCli(
      ['start', 'Fix it', '--check', 'node test.js', '--max-cost', '3', '--model', 'fake-model'],
      cliEnv,
      ws,
    );
    expect(unpriced.code).toBe(2);
    expect(unpriced.stderr).toContain('budget.maxCostUsd: no price is known for model "fake-model"');
    const negative = await runCli(['start', 'Fix it', '--check', 'node test.js', '--max-cost', '-5'], cliEnv, ws);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--max-cost "-5": must be a positive number of US dollars, e.g. 20 or 2.50');

    suite.fake.setScript([
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const { started, status, human, spec } = await h.worker.runUntil(async () => {
      const started = await runCli(
        [
          'start',
          'Fix the median cheaply',
          '--check',
          'node test.js',
          '--max-cost',
          '2.50',
          '--model',
          'gpt-5.1',
          '--branch',
          'longhaul/cheap-fix',
          '--slack-channel',
          'C0123456',
          '--id',
          'cli-cost',
          '--wait',
          '--json',
        ],
        cliEnv,
        ws,
      );
      const [status, human] = await Promise.all([
        runCli(['status', 'cli-cost', '--json'], cliEnv),
        runCli(['status', 'cli-cost'], cliEnv),
      ]);
      return { started, status, human, spec: await startedSpec('cli-cost') };
    });
    expect(started.stderr).toBe('');
    expect(JSON.parse(started.stdout)).toMatchObject({ goalId: 'cli-cost', status: 'achieved' });
    expect(spec.budget).toEqual({ maxTurns: 50, maxCostUsd: 2.5 });
    expect(spec.git).toEqual({ branch: 'longhaul/cheap-fix', milestones: true });
    expect(spec.report).toEqual({ slackChannel: 'C0123456' });
    const view = JSON.parse(status.stdout) as GoalStatusView;
    expect(view.budget.cost.limit).toBe(2.5);
    expect(view.budget.cost.used).toBeGreaterThan(0);
    expect(view.milestones.branch).toBe('longhaul/cheap-fix');
    expect(human.stdout).toMatch(/ · \$\d+\.\d\d\/\$2\.50 · /);
    expect(human.stdout).toMatch(/^ {2}milestones: \d+ commits? on longhaul\/cheap-fix, last [0-9a-f]{10}$/m);
    expect(human.stdout).toContain('  slack: off (SLACK_BOT_TOKEN is not set on the worker)');
  });

  test('an unreachable Temporal server is reported with what to do, exit code 4', async () => {
    const r = await runCli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(r.stderr).toContain('longhaul dev');
  });
});

describe('formatStatus for long runs', () => {
  const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
  const view = (): GoalStatusView =>
    GoalRun.create(
      'goal-1',
      parseGoalSpec({ objective: 'o', workspace: '/repo', checks: [{ name: 'tests', command: 'npm test' }] }),
      T0,
    ).view(T0);

  test('no milestone, Slack, attention or waiting lines while there is nothing to say', () => {
    expect(formatStatus(view())).not.toMatch(/milestones:|slack:|NEEDS ATTENTION|waiting until|recent events/);
  });

  test('milestones: how many, on which branch, and the last commit short', () => {
    const v = { ...view(), milestones: { branch: 'longhaul/goal-1', last: '0123456789abcdef0123', count: 3 } };
    expect(formatStatus(v).split('\n')).toContain('  milestones: 3 commits on longhaul/goal-1, last 0123456789');
    const one = { ...view(), milestones: { branch: 'b', last: null, count: 1 } };
    expect(formatStatus(one).split('\n')).toContain('  milestones: 1 commit on b');
  });

  test('Slack: the thread, a thread not posted yet, or why it is off', () => {
    const thread = { ...view(), slack: { channel: 'C0123', parentTs: '1712345678.000100', off: null } };
    expect(formatStatus(thread).split('\n')).toContain('  slack: thread C0123/1712345678.000100');
    const pending = { ...view(), slack: { channel: 'C0123', parentTs: null, off: null } };
    expect(formatStatus(pending).split('\n')).toContain('  slack: thread C0123/not posted yet');
    const off = {
      ...view(),
      slack: { channel: null, parentTs: null, off: 'SLACK_BOT_TOKEN is not set on the worker' },
    };
    expect(formatStatus(off).split('\n')).toContain('  slack: off (SLACK_BOT_TOKEN is not set on the worker)');
  });

  test('attention and waiting lines come right after the budget line', () => {
    const v = {
      ...view(),
      attention: { at: '2025-01-02T05:00:00.000Z', text: 'no new best in 15 verifications' },
      waitingUntil: { until: '2025-01-02T06:00:00.000Z', reason: 'the nightly benchmark' },
    };
    const lines = formatStatus(v).split('\n');
    const budget = lines.findIndex((l) => l.startsWith('turn '));
    expect(lines.slice(budget + 1, budget + 3)).toEqual([
      'NEEDS ATTENTION (2025-01-02T05:00:00.000Z): no new best in 15 verifications',
      'waiting until 2025-01-02T06:00:00.000Z: the nightly benchmark',
    ]);
  });

  test('with events asked for, the latest ones replace the single last-event line', () => {
    const events = Array.from({ length: 8 }, (_, i) => ({
      seq: i + 1,
      at: new Date(T0 + i * 1000).toISOString(),
      text: i === 7 ? 'x'.repeat(200) : `event ${i + 1}`,
    }));
    const v = { ...view(), events, lastEvent: { at: events[7]!.at, text: events[7]!.text } };
    expect(formatStatus(v)).toContain('last event (');
    const shown = formatStatus(v, { events: 3 });
    expect(shown).not.toContain('last event (');
    expect(shown.split('\n').slice(-4)).toEqual([
      'recent events:',
      '  03:04:10 · event 6',
      '  03:04:11 · event 7',
      `  03:04:12 · ${'x'.repeat(157)}...`,
    ]);
  });
});
