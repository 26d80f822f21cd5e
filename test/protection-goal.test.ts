/**
 * Protection that fits the goal, end to end (issue 19): a goal to make slow.sh faster may change slow.sh (its
 * check guards it) but not check.sh; a goal checked by `npm test` may add a dependency but not change scripts.test;
 * an agent that keeps trying a protected path gets the user's attention (status and Slack), and `editable` lets it.
 */
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startGoal } from '../client/goals';
import { editUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { lastToolResults, type FakeReply } from './fakes/openai-server';
import { FakeSlack } from './fakes/slack-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { NO_FINISHING } from './helpers/finishing';
import { useServerAndFake } from './helpers/suite';
import { git, gitWorkspace } from './helpers/workspace';

const suite = useServerAndFake();

const write = (p: string, content: string): FakeReply => ({
  toolCalls: [{ name: 'write_file', arguments: { path: p, content } }],
});

function slowWorkspace(): string {
  const ws = gitWorkspace({ 'slow.sh': '#!/bin/bash\nsleep 0.3\n', 'check.sh': '#!/bin/bash\n./slow.sh\n' });
  chmodSync(path.join(ws, 'slow.sh'), 0o755);
  chmodSync(path.join(ws, 'check.sh'), 0o755);
  git(ws, 'add', '-A');
  git(ws, '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'executable');
  return ws;
}

const slowSpec = (ws: string, extra: Partial<GoalSpecInput> = {}): GoalSpecInput => ({
  objective: 'make slow.sh 30% faster',
  workspace: ws,
  // 6 pairs: all 6 passing is MET (P = 1/64), which keeps each measurement about 2 s.
  metrics: [
    {
      name: 'build_seconds',
      command: './slow.sh',
      measure: 'wall_time',
      direction: 'lower',
      repeat: 6,
      target: { relative: -0.3 },
    },
  ],
  checks: [{ name: 'still-builds', command: './check.sh' }],
  budget: { maxTurns: 6 },
  ...NO_FINISHING,
  ...extra,
});

test('the slow.sh goal: slow.sh may be made faster, check.sh is refused and reported, and it ends achieved', async () => {
  const ws = slowWorkspace();
  suite.fake.setScript([write('check.sh', '#!/bin/bash\nexit 0\n'), write('slow.sh', '#!/bin/bash\nsleep 0.05\n')]);
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, slowSpec(ws), 'slow-sh-faster');
  expect(outcome.status).toBe('achieved');
  expect(status.metrics[0]).toMatchObject({ verdict: 'MET' });
  expect(lastToolResults(suite.fake.requests[1]!)[0]!.output).toMatch(
    /^check\.sh is protected \(named by check still-builds\)/,
  );
  expect(status.integrity).toMatchObject({
    protectedFiles: 1,
    violations: 0,
    refusals: [{ path: 'check.sh', reason: 'named by check still-builds', count: 1 }],
  });
  expect(readFileSync(path.join(ws, 'check.sh'), 'utf8')).toBe('#!/bin/bash\n./slow.sh\n');
  expect(readFileSync(path.join(ws, 'slow.sh'), 'utf8')).toBe('#!/bin/bash\nsleep 0.05\n');
});

test('npm test: a new dependency is no violation, a changed scripts.test is undone', async () => {
  const pkg = (scripts: object, dependencies: object = {}) =>
    `${JSON.stringify({ name: 'app', version: '1.0.0', scripts, dependencies }, null, 2)}\n`;
  const ws = gitWorkspace({
    'package.json': pkg({ test: 'node test.js' }),
    'test.js': "if (require('./lib.js') !== 2) process.exit(1);\n",
    'lib.js': 'module.exports = 1;\n',
  });
  suite.fake.setScript([
    write('package.json', pkg({ test: 'exit 0' })),
    {
      toolCalls: [
        { name: 'write_file', arguments: { path: 'package.json', content: pkg({ test: 'node test.js' }, { a: '1' }) } },
        { name: 'write_file', arguments: { path: 'lib.js', content: 'module.exports = 2;\n' } },
      ],
    },
  ]);
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(
    h,
    {
      objective: 'make npm test pass',
      workspace: ws,
      checks: [{ name: 'tests', command: 'npm test' }],
      budget: { maxTurns: 4 },
      ...NO_FINISHING,
    },
    'npm-deps',
  );
  expect(outcome.status).toBe('achieved');
  expect(status.integrity).toMatchObject({
    violations: 1,
    last: { turn: 1, paths: ['package.json:scripts.test (modified)'] },
  });
  const final = JSON.parse(readFileSync(path.join(ws, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(final).toMatchObject({ scripts: { test: 'node test.js' }, dependencies: { a: '1' } });
});

test('three refused writes need attention in status and Slack; `--editable` (the edit) lets the agent change it', async () => {
  const slack = await FakeSlack.start({ token: 'xoxb-test-token' });
  try {
    const ws = slowWorkspace();
    let edited: () => void = () => undefined;
    const editSent = new Promise<void>((resolve) => (edited = resolve));
    const attempt = write('check.sh', '#!/bin/bash\n./slow.sh\necho checked\n');
    suite.fake.setScript(async (_req, i) => {
      if (i < 3) return attempt;
      if (i === 3) {
        await editSent; // the user allows it while the fourth turn waits for the model
        return { text: 'waiting for the user' };
      }
      if (i === 4) return attempt;
      return write('slow.sh', '#!/bin/bash\nsleep 0.05\n');
    });
    const h = await createHarness(suite.env, suite.fake, 'responses', {
      slack: { token: 'xoxb-test-token', channel: 'C0LONGHAUL1', apiUrl: slack.url, timeoutMs: 2_000 },
    });
    const goalId = 'keeps-trying';
    const result = await h.worker.runUntil(async () => {
      const handle = await startGoal(h.env.client, parseGoalSpec(slowSpec(ws, { budget: { maxTurns: 8 } })), {
        taskQueue: h.taskQueue,
        goalId,
      });
      let attention: string | undefined;
      for (let i = 0; i < 300 && !attention; i++) {
        attention = (await handle.query(statusQuery)).attention?.text;
        if (!attention) await new Promise((r) => setTimeout(r, 100));
      }
      expect(attention).toBe(
        'the agent keeps trying to change check.sh (protected because named by check still-builds); ' +
          `allow it with \`longhaul edit ${goalId} --editable check.sh\` (refused 3 times)`,
      );
      const accepted = await handle.executeUpdate(editUpdate, { args: [{ editable: ['check.sh'] }] });
      expect(accepted.changes).toEqual(['check.sh is now editable (exempt from the automatic protection)']);
      edited();
      const outcome = await handle.result();
      return { outcome, status: await handle.query(statusQuery) };
    });
    expect(result.outcome.status).toBe('achieved');
    expect(readFileSync(path.join(ws, 'check.sh'), 'utf8')).toBe('#!/bin/bash\n./slow.sh\necho checked\n');
    expect(result.status.integrity).toMatchObject({ protectedFiles: 0, violations: 0, refusals: [] });
    expect(result.status.attention).toBeNull();
    const posted = slack.callsTo('chat.postMessage').map((c) => JSON.stringify(c.args));
    expect(posted.some((raw) => raw.includes('the agent keeps trying to change check.sh'))).toBe(true);
  } finally {
    await slack.close();
  }
});
