/**
 * Finishing well, end to end on a real dev server: the agent reflects, cleans up leftovers in turns of its own,
 * the orchestrator re-verifies (reverting a clean-up that broke anything), and the final report is written,
 * committed with the final milestone and pushed; a cancelled goal still gets a short report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REFLECT_INSTRUCTIONS } from '../activities/agent/reflect';
import { startGoal } from '../client/goals';
import { statusQuery } from '../goal/messages';
import { formatValue } from '../goal/values';
import type { GoalStatusView } from '../goal/status';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { allText, type FakeReply, type RecordedRequest } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { runCli } from './helpers/cli';
import { FakeSlack } from './fakes/slack-server';
import { useServerAndFake } from './helpers/suite';
import { git, gitWorkspace, scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';

const suite = useServerAndFake();

const isReflection = (r: RecordedRequest) =>
  String(r.body.instructions ?? '').startsWith(REFLECT_INSTRUCTIONS.slice(0, 60));
const isCleanup = (r: RecordedRequest) => allText(r).includes('FINALIZING — clean-up turn');

const REFLECTION =
  '## Tried\n- raised the score\n## Leftovers\n- debug.log\n- the DEBUG flag in config.env\n## Risks\n- none known';

/** Turn 1 reaches the target but leaves debug.log and an unused flag; the clean-up is `cleanup`. */
function script(cleanup: FakeReply): (req: RecordedRequest) => FakeReply {
  return (req) => {
    if (isReflection(req)) return { text: REFLECTION };
    if (isCleanup(req)) return cleanup;
    return {
      toolCalls: [
        ...writeScore(9).toolCalls,
        { name: 'write_file', arguments: { path: 'debug.log', content: 'trace\n' } },
        { name: 'write_file', arguments: { path: 'config.env', content: 'MODE=fast\nDEBUG=1\n' } },
        { name: 'done', arguments: { summary: 'score is 9' } },
      ],
    };
  };
}

function spec(ws: string, extra: Partial<GoalSpecInput> = {}): GoalSpecInput {
  return {
    objective: 'Raise the score to 9',
    workspace: ws,
    metrics: [scoreMetric(9)],
    ...extra,
  };
}

test('the clean-up removes a debug file and an unused flag, re-verification passes, the final diff is clean', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript(
    script({
      toolCalls: [
        { name: 'shell', arguments: { command: 'rm debug.log' } },
        { name: 'write_file', arguments: { path: 'config.env', content: 'MODE=fast\n' } },
        { name: 'done', arguments: { summary: 'leftovers removed' } },
      ],
    }),
  );
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(ws), 'clean-up-kept');
  expect(outcome.status).toBe('achieved');
  expect(status.finalization).toMatchObject({ reflection: REFLECTION, cleanup: { ran: true, kept: true, turns: 1 } });
  expect(suite.fake.requests.filter(isCleanup)).toHaveLength(1);
  expect(allText(suite.fake.requests.find(isCleanup)!)).toContain('debug.log'); // the reflection reached the agent
  const diff = git(ws, 'diff', '--stat', status.startCommit!, 'longhaul/clean-up-kept');
  expect(diff).not.toContain('debug.log');
  expect(git(ws, 'show', 'longhaul/clean-up-kept:config.env')).toBe('MODE=fast\n');
  expect(git(ws, 'show', 'longhaul/clean-up-kept:REPORT.md')).toMatch(/ACHIEVED/);
  expect(existsSync(path.join(ws, 'REPORT.md'))).toBe(false); // the report is committed, not written into the tree
  expect(existsSync(path.join(ws, 'debug.log'))).toBe(false);
});

test('a clean-up that breaks the metric is reverted; the goal still ends achieved and the report says so', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript(
    script({ toolCalls: [...writeScore(1).toolCalls, { name: 'done', arguments: { summary: 'tidied' } }] }),
  );
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(ws), 'clean-up-reverted');
  expect(outcome.status).toBe('achieved');
  expect(status.finalization.cleanup).toMatchObject({ ran: true, kept: false });
  expect(status.finalization.cleanup!.reason).toMatch(/^reverted: metric score no longer meets its target/);
  expect(readFileSync(path.join(ws, 'score.txt'), 'utf8')).toBe('9\n'); // back to the verified state
  expect(status.metrics[0]).toMatchObject({ latest: 9, verdict: 'MET' });
  const report = readFileSync(status.finalization.report!.markdown, 'utf8');
  expect(report).toMatch(/revert/i);
});

test('the report holds the true figures from the ledger (baseline, final, pairs, cost), matching status --json', async () => {
  // A relative target is decided by paired runs against the baseline worktree: the report must carry the pairs.
  const ws = gitWorkspace({ 'bench.sh': 'bash work.sh\n', 'work.sh': 'sleep 0.3\n' });
  suite.fake.setScript((req) =>
    isReflection(req)
      ? { text: REFLECTION }
      : isCleanup(req)
        ? { toolCalls: [{ name: 'done', arguments: { summary: 'nothing to remove' } }] }
        : { toolCalls: [{ name: 'write_file', arguments: { path: 'work.sh', content: 'sleep 0.12\n' } }] },
  );
  const h = await createHarness(suite.env, suite.fake);
  const cliEnv = { TEMPORAL_ADDRESS: suite.env.address, LONGHAUL_TASK_QUEUE: h.taskQueue };
  const { outcome, cli } = await h.worker.runUntil(async () => {
    const goal = {
      objective: 'Make the benchmark at least 30% faster',
      workspace: ws,
      metrics: [{ name: 'bench_seconds', command: 'bash bench.sh', direction: 'lower', target: { relative: -0.3 } }],
      model: { price: { inputPerMTok: 2, outputPerMTok: 8 } },
    } satisfies GoalSpecInput;
    const handle = await startGoal(h.env.client, parseGoalSpec(goal), { taskQueue: h.taskQueue, goalId: 'figures' });
    return { outcome: await handle.result(), cli: await runCli(['status', 'figures', '--json'], cliEnv) };
  });
  expect(outcome.status).toBe('achieved');
  expect(cli.code).toBe(0);
  const status = JSON.parse(cli.stdout) as GoalStatusView;
  const m = status.metrics[0]!;
  expect(m.pairs!.n).toBeGreaterThanOrEqual(10);
  const report = readFileSync(status.finalization.report!.markdown, 'utf8');
  const b = status.budget;
  expect(report).toContain(`baseline ${formatValue(m.baseline)} → final ${formatValue(m.latest)}`);
  expect(report).toContain(`: MET (${m.pairs!.passes}/${m.pairs!.n} pairs past target)`);
  expect(report).toContain(`turns: ${b.turns.used} of ${b.turns.limit}`);
  expect(report).toContain(`tokens: ${b.tokens.used} total`);
  expect(report).toContain(`cost: $${b.cost.used.toFixed(2)} (no limit)`);
  expect(b.cost.used).toBeGreaterThan(0);
  expect(b.turns.used).toBe(status.turn);
  expect(existsSync(status.finalization.report!.html)).toBe(true);
});

test('the goal branch is pushed to a local bare repository; an unreachable remote is reported and the goal ends normally', async () => {
  const bare = tempDir('longhaul-remote-');
  execFileSync('git', ['init', '-q', '--bare', bare]);
  const ws = scoreWorkspace(0);
  suite.fake.setScript(script({ toolCalls: [{ name: 'done', arguments: { summary: 'clean' } }] }));
  const h = await createHarness(suite.env, suite.fake);
  const pushed = await runGoal(h, spec(ws, { git: { remote: bare } }), 'pushed');
  expect(pushed.status.finalization.push).toEqual({ pushed: true, error: null });
  expect(execFileSync('git', ['rev-parse', 'longhaul/pushed'], { cwd: bare, encoding: 'utf8' }).trim()).toBe(
    pushed.status.milestones.last,
  );

  const ws2 = scoreWorkspace(0);
  const h2 = await createHarness(suite.env, suite.fake);
  const unreachable = await runGoal(h2, spec(ws2, { git: { remote: '/nonexistent/remote.git' } }), 'push-fails');
  expect(unreachable.outcome.status).toBe('achieved');
  expect(unreachable.status.finalization.push).toMatchObject({ pushed: false });
  expect(unreachable.status.events.some((e) => e.kind === 'attention' && /push failed/.test(e.text))).toBe(true);
});

test('a cancelled goal still gets a short report of where it stood', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript(async () => {
    await new Promise((r) => setTimeout(r, 500));
    return writeScore(3);
  });
  const h = await createHarness(suite.env, suite.fake);
  const status = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec(ws)), {
      taskQueue: h.taskQueue,
      goalId: 'cancelled',
    });
    while (suite.fake.requests.length < 2) await new Promise((r) => setTimeout(r, 100));
    await handle.cancel();
    await handle.result().catch(() => undefined);
    return handle.query(statusQuery);
  });
  expect(status.status).toBe('cancelled');
  const report = readFileSync(status.finalization.report!.markdown, 'utf8');
  expect(report).toMatch(/cancelled/i);
  expect(report).toMatch(/where it stood/i);
  expect(suite.fake.requests.some(isReflection)).toBe(false);
});

test('the reflection never sees held-out checks: their names and commands stay out of every request', async () => {
  const ws = scoreWorkspace(0);
  const hidden = path.join(tempDir('longhaul-holdout-'), 'secret-check.sh');
  writeFileSync(hidden, 'exit 0\n');
  suite.fake.setScript(script({ toolCalls: [{ name: 'done', arguments: { summary: 'clean' } }] }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome } = await runGoal(
    h,
    spec(ws, { holdout: [{ name: 'secret cases', command: `sh ${hidden}` }] }),
    'reflect-holdout',
  );
  expect(outcome.status).toBe('achieved');
  expect(suite.fake.requests.some(isReflection)).toBe(true);
  const seen = suite.fake.requests.map((r) => JSON.stringify(r.body)).join('\n');
  expect(seen).not.toContain('secret cases');
  expect(seen).not.toContain(hidden);
});

test('a reflection that fails (the key was revoked meanwhile) is reported; the goal still ends with its own status', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript((req): FakeReply => (isReflection(req) ? { fault: 'auth' } : script({ text: 'x' })(req)));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(ws), 'reflect-fails');
  expect(outcome.status).toBe('achieved');
  expect(status.warnings.some((w) => w.startsWith('finalizing stopped early: '))).toBe(true);
  expect(status.finalization.cleanup).toBeNull();
  expect(existsSync(status.finalization.report!.markdown)).toBe(true);
});

test('a goal whose token budget is spent gets no review or clean-up (no request past the limit), still a report', async () => {
  const ws = scoreWorkspace(0);
  suite.fake.setScript(script({ toolCalls: [{ name: 'done', arguments: { summary: 'clean' } }] }));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(ws, { budget: { maxTokens: 1 } }), 'spent');
  expect(outcome.status).toBe('achieved'); // turn 1 reached the target while spending past the limit
  expect(suite.fake.requests).toHaveLength(1);
  expect(suite.fake.requests.filter((r) => isReflection(r) || isCleanup(r))).toEqual([]);
  expect(status.finalization).toMatchObject({ reflection: null, cleanup: null });
  expect(status.events.map((e) => e.text)).toContainEqual(
    expect.stringMatching(/^no review or clean-up: the budget is spent \(used \d+ of 1 tokens\)$/),
  );
  expect(existsSync(status.finalization.report!.markdown)).toBe(true);
});

test('Slack gets the failed push (needs attention) and the final report as the last reply, with its path', async () => {
  const slack = await FakeSlack.start({ token: 'xoxb-finalize-secret' });
  try {
    const ws = scoreWorkspace(0);
    suite.fake.setScript(script({ toolCalls: [{ name: 'done', arguments: { summary: 'clean' } }] }));
    const h = await createHarness(suite.env, suite.fake, 'responses', {
      slack: { token: 'xoxb-finalize-secret', channel: 'C0LONGHAUL1', apiUrl: slack.url, timeoutMs: 2_000 },
    });
    const { outcome, status } = await runGoal(h, spec(ws, { git: { remote: '/nonexistent/remote.git' } }), 'slacked');
    expect(outcome.status).toBe('achieved');
    const [parent] = slack.parents('C0LONGHAUL1');
    const texts = slack.replies('C0LONGHAUL1', parent!.ts).map((r) => r.text);
    expect(texts.some((t) => /push failed/.test(t))).toBe(true);
    expect(texts.at(-1)).toContain(
      `final report (achieved; score 0 → 9 (target ≥ 9)): ${status.finalization.report!.markdown}; committed as ${status.milestones.last!.slice(0, 10)} on longhaul/slacked`,
    );
    expect(JSON.stringify(slack.calls)).not.toContain('sk-'); // no model key in any Slack call
  } finally {
    await slack.close();
  }
});
