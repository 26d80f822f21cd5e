/**
 * Model failures that mean something: transient ones (429 with Retry-After, 5xx) are retried and the goal goes on;
 * a rejected key blocks at once; an outage that outlives the activity's retries is waited out durably, with the
 * user alerted, and blocks the goal only after the configured hours.
 */
import { startGoal } from '../client/goals';
import { statusQuery } from '../goal/messages';
import { parseGoalSpec, type GoalSpecInput } from '../goal/spec';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeReply, RecordedRequest } from './fakes/openai-server';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();

function spec(extra: Partial<GoalSpecInput> = {}): GoalSpecInput {
  return {
    objective: 'Raise the score to 9',
    workspace: scoreWorkspace(0),
    metrics: [scoreMetric(9)],
    ...NO_FINISHING,
    ...extra,
  };
}

test('with a third of model requests failing (429 with Retry-After, 500) the goal still ends achieved, no turn lost', async () => {
  let good = 0;
  suite.fake.setScript((_req, i): FakeReply => {
    if (i % 3 === 1)
      return i % 2 === 0 ? { fault: 'server_error', status: 500 } : { fault: 'rate_limit', retryAfterSeconds: 1 };
    good += 1;
    return writeScore(good);
  });
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(), 'third-failing');
  expect(outcome).toMatchObject({ status: 'achieved', turns: 9 });
  expect(suite.fake.requests.length).toBeGreaterThanOrEqual(13); // 9 answered + the failed third retried
  expect(status.attention).toBeNull(); // retries within the activity are not an outage
});

test('a rejected API key blocks the goal within seconds, with the reason in status and no retry', async () => {
  suite.fake.setScript(() => ({ fault: 'auth' }));
  const h = await createHarness(suite.env, suite.fake);
  const started = Date.now();
  const { outcome, status } = await runGoal(h, spec(), 'bad-key');
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(outcome.status).toBe('blocked');
  expect(status.reason).toMatch(/OPENAI_API_KEY/);
  expect(status.reason).not.toContain('sk-test-secret-key');
  expect(suite.fake.requests).toHaveLength(1);
});

test('an outage that outlives the retries is waited out with the user alerted; the goal resumes when the model is back', async () => {
  let down = true;
  suite.fake.setScript((): FakeReply => (down ? { fault: 'server_error', status: 503 } : writeScore(9)));
  const h = await createHarness(suite.env, suite.fake);
  const tuning = { modelMaxAttempts: 2, outageRetryMinutes: 0.02, maxOutageHours: 1 };
  const { outcome, during } = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec()), {
      taskQueue: h.taskQueue,
      goalId: 'outage',
      tuning,
    });
    let during = await handle.query(statusQuery);
    while (!during.attention) {
      await new Promise((r) => setTimeout(r, 100));
      during = await handle.query(statusQuery);
    }
    const attemptsAtAlert = suite.fake.requests.length;
    while (suite.fake.requests.length < attemptsAtAlert + 2) await new Promise((r) => setTimeout(r, 100));
    down = false;
    return { outcome: await handle.result(), during };
  });
  expect(during.attention?.text).toMatch(/^the model is unreachable \(.*503.*\); retrying$/);
  expect(outcome).toMatchObject({ status: 'achieved', turns: 1 });
  const after = await suite.env.client.workflow
    .getHandle('outage')
    .query(statusQuery)
    .catch(() => null);
  if (after) expect(after.attention).toBeNull();
});

test('an outage longer than maxOutageHours blocks the goal, saying for how long and why', async () => {
  suite.fake.setScript((): FakeReply => ({ fault: 'server_error', status: 500 }));
  const h = await createHarness(suite.env, suite.fake);
  const tuning = { modelMaxAttempts: 2, outageRetryMinutes: 0.01, maxOutageHours: 0.001 };
  const { outcome, status } = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec()), {
      taskQueue: h.taskQueue,
      goalId: 'long-outage',
      tuning,
    });
    return { outcome: await handle.result(), status: await handle.query(statusQuery) };
  });
  expect(outcome.status).toBe('blocked');
  expect(outcome.reason).toMatch(/^the model has been unreachable for 0\.0 hours: .*500/);
  expect(status.events.filter((e) => e.kind === 'attention')).toHaveLength(1); // alerted once, not per retry
});

test('a context-length refusal compacts the older turns and retries once; the goal goes on', async () => {
  let refused = false;
  suite.fake.setScript((req, i): FakeReply => {
    if (!Array.isArray(req.body.tools) || req.body.tools.length === 0) return { text: 'summary of the early turns' };
    if (i >= 4 && !refused) {
      refused = true;
      return { fault: 'context_length' };
    }
    return i >= 6 ? writeScore(9) : { toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] };
  });
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status } = await runGoal(h, spec(), 'context-length');
  expect(outcome.status).toBe('achieved');
  expect(refused).toBe(true);
  expect(status.context.compactions).toBe(1);
  const summaries = suite.fake.requests.filter((r) => !Array.isArray(r.body.tools) || r.body.tools.length === 0);
  expect(summaries).toHaveLength(1);
  // The retried turn carries the summary instead of the turns it replaced.
  const retried = suite.fake.requests[suite.fake.requests.indexOf(summaries[0]!) + 1]!;
  expect(JSON.stringify(retried.body)).toContain('summary of the early turns');
});

test('a context-length refusal that compaction cannot fix blocks the goal, saying to set model.contextWindow', async () => {
  suite.fake.setScript((req): FakeReply =>
    !Array.isArray(req.body.tools) || req.body.tools.length === 0 ? { text: 'summary' } : { fault: 'context_length' },
  );
  const h = await createHarness(suite.env, suite.fake);
  const { outcome } = await runGoal(h, spec(), 'context-length-hopeless');
  expect(outcome.status).toBe('blocked');
  expect(outcome.reason).toMatch(/set model.contextWindow/);
});

test('compaction runs as its own activity between the turn that asks for it and the turn, and its tokens count even when the turn then fails', async () => {
  // A 3,000-token window (1,800 for the prompt) and a 3,000-character file read every turn: by turn 3 the oldest
  // turns no longer fit. The turn after the compaction is refused for good (a rejected key).
  const ws = scoreWorkspace(0);
  writeFileSync(path.join(ws, 'notes.txt'), 'a line of notes about the score\n'.repeat(100));
  const isSummary = (r: RecordedRequest) => !Array.isArray(r.body.tools) || r.body.tools.length === 0;
  let summarised = false;
  suite.fake.setScript((req): FakeReply => {
    if (isSummary(req)) {
      summarised = true;
      return { text: 'summary: notes.txt read twice', usage: { input: 5_000, output: 700 } };
    }
    if (summarised) return { fault: 'auth' };
    return { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }], usage: { input: 10, output: 1 } };
  });
  const h = await createHarness(suite.env, suite.fake);
  const { outcome, status, history } = await h.worker.runUntil(async () => {
    const handle = await startGoal(
      h.env.client,
      parseGoalSpec(spec({ workspace: ws, model: { contextWindow: 3_000, compactAt: 0.6 } })),
      { taskQueue: h.taskQueue, goalId: 'compaction-activity' },
    );
    const outcome = await handle.result();
    return { outcome, status: await handle.query(statusQuery), history: await handle.fetchHistory() };
  });
  expect(outcome.status).toBe('blocked');
  const answered = suite.fake.requests.filter((r) => !isSummary(r)).length - 1; // the last one was refused
  expect(suite.fake.requests.filter(isSummary)).toHaveLength(1);
  expect(status.context.compactions).toBe(1);
  // The summariser's 5,700 tokens are in the budget although the turn they were spent for never answered.
  expect(status.budget.tokens.used).toBe(answered * 11 + 5_700);

  const scheduled = (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => name === 'modelTurn' || name === 'compactContext');
  const at = scheduled.indexOf('compactContext');
  expect(at).toBeGreaterThan(0);
  expect(scheduled.slice(at - 1, at + 2)).toEqual(['modelTurn', 'compactContext', 'modelTurn']);
  expect(scheduled.filter((n) => n === 'compactContext')).toHaveLength(1);
  // Its summary in the UI names the turn and why.
  const compactEvent = (history.events ?? []).find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'compactContext',
  );
  const summaryText = Buffer.from(compactEvent?.userMetadata?.summary?.data ?? new Uint8Array()).toString('utf8');
  expect(summaryText).toMatch(/turn \d+ · compact context \(context_full\)/);
});

test('cancelling a goal while its model call is in flight ends it cancelled, without calling that an outage', async () => {
  suite.fake.setScript((): FakeReply => ({ fault: 'hang', ms: 60_000 }));
  const h = await createHarness(suite.env, suite.fake);
  const status = await h.worker.runUntil(async () => {
    const handle = await startGoal(h.env.client, parseGoalSpec(spec()), {
      taskQueue: h.taskQueue,
      goalId: 'cancel-mid-model',
    });
    while (suite.fake.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    return handle.query(statusQuery);
  });
  expect(status).toMatchObject({ status: 'cancelled', attention: null });
  expect(status.events.map((e) => e.text).join('\n')).not.toMatch(/unreachable/);
});
