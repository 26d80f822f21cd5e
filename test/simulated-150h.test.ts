/**
 * A 150-hour goal in seconds, on Temporal's time-skipping test server: the agent works in hour-long waits, the user
 * pauses it for a 60-hour weekend and resumes it, the hourly status refresh keeps firing, and `maxHours: 120` ends it
 * `budget_exhausted` at 120 working hours with the turn numbering continuous across continue-as-new.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startGoal } from '../client/goals';
import { pauseUpdate, resumeUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import { FakeOpenAI, turnOf } from './fakes/openai-server';
import { createHarness } from './helpers/goal-harness';
import { fetchRunChain } from './helpers/replay';
import { startTimeSkippingEnv } from './helpers/time-skipping';
import { scoreMetric, scoreWorkspace } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

let env: TestWorkflowEnvironment;
let fake: FakeOpenAI;
beforeAll(async () => {
  env = await startTimeSkippingEnv();
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  await fake?.close();
  await env?.teardown();
});

const HOUR = 3_600_000;

/**
 * Runs the test's steps under one deadline. Past it, the running step fails with what the goal was doing (the step,
 * its pending activities and workflow task, its last events one per line), so that a hang says where it hung in the
 * failure itself, which CI keeps when it cuts a long log.
 */
function underDeadline(handle: WorkflowHandle, deadlineMs: number) {
  let current = 'start';
  let expire: (err: Error) => void = () => undefined;
  const deadline = new Promise<never>((_, reject) => (expire = reject));
  deadline.catch(() => undefined); // raced by each step; unobserved when no step is running
  const timer = setTimeout(() => void describeHang(handle, current, deadlineMs).then(expire), deadlineMs);
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    current = name;
    return Promise.race([fn(), deadline]);
  };
  return Object.assign(step, { done: () => clearTimeout(timer) });
}

async function describeHang(handle: WorkflowHandle, step: string, deadlineMs: number): Promise<Error> {
  const described = await handle.describe().catch((err: Error) => err);
  const history = await handle.fetchHistory().catch((err: Error) => err);
  const pending =
    described instanceof Error
      ? described.message
      : JSON.stringify({
          activities: (described.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} ${a.state}`),
          workflowTask: described.raw.pendingWorkflowTask ?? null,
        });
  const events = history instanceof Error ? [history.message] : (history.events ?? []).slice(-30).map(eventLine);
  return new Error(
    `simulated-150h hung in step "${step}" for ${deadlineMs / 1000} s\npending: ${pending}\nlast events:\n${events.join('\n')}`,
  );
}

/** One history event as one line: id, virtual time, kind, and the attributes that tell timers and activities apart. */
function eventLine(event: temporal.api.history.v1.IHistoryEvent): string {
  const [key, attrs] = Object.entries(event).find(([k, v]) => k.endsWith('EventAttributes') && v) ?? ['?', {}];
  const a = attrs as Record<string, unknown>;
  const brief = {
    ...(a.timerId ? { timer: a.timerId } : {}),
    ...(a.startToFireTimeout ? { fireAfterS: Number((a.startToFireTimeout as { seconds?: unknown }).seconds) } : {}),
    ...(a.activityType ? { activity: (a.activityType as { name?: string }).name } : {}),
  };
  const at = new Date(Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6);
  return `${String(event.eventId)} ${at.toISOString()} ${key.replace(/EventAttributes$/, '')} ${JSON.stringify(brief)}`;
}

test('paused for a 60-hour weekend (and a half), refreshed hourly throughout, ended by maxHours at 120 working hours', async () => {
  fake.setScript(() => ({
    toolCalls: [
      { name: 'read_file', arguments: { path: 'score.txt' } },
      { name: 'wait', arguments: { minutes: 60, reason: 'the hourly benchmark job' } },
    ],
  }));
  const h = await createHarness(env, fake);
  const spec = parseGoalSpec({
    objective: 'Raise the score to 100',
    workspace: scoreWorkspace(0),
    metrics: [scoreMetric(100)],
    budget: { maxTurns: 10_000, maxHours: 120 },
    ...NO_FINISHING,
  });
  const r = await h.worker.runUntil(async () => {
    const handle = await startGoal(env.client, spec, {
      taskQueue: h.taskQueue,
      goalId: 'simulated-150h',
      tuning: { maxHistoryEvents: 2_000 },
    });
    const step = underDeadline(handle, 240_000);
    // The user steps in between the hour marks, where the goal's timers fall: the time-skipping server strands a
    // workflow task that cancels a timer which fired while the task was with the worker (sdk-java#3088), a race
    // the real server does not have (the goal itself cancels no timer unless the user steps in).
    // The pause lasts 60.5 hours so that the goal's end, too, falls between the hourly refreshes.
    try {
      await step('sleep 30.25 h', () => env.sleep(30.25 * HOUR));
      await step('pause', () => handle.executeUpdate(pauseUpdate, { args: [{ reason: 'the weekend' }] }));
      await step('sleep 1 h', () => env.sleep(HOUR)); // reaches the turn boundary and holds
      const paused = await step('query', () => handle.query(statusQuery));
      await step('sleep 59.5 h', () => env.sleep(59.5 * HOUR));
      const afterWeekend = await step('query', () => handle.query(statusQuery));
      await step('resume', () => handle.executeUpdate(resumeUpdate, { args: [] }));
      const outcome = await step('result', () => handle.result());
      return { paused, afterWeekend, outcome, final: await handle.query(statusQuery) };
    } finally {
      step.done();
    }
  });

  // The weekend: no turn while paused, the hourly refresh fired all along.
  expect(r.paused.paused).toBe(true);
  expect(r.afterWeekend.turn).toBe(r.paused.turn);
  expect(r.afterWeekend.refreshes - r.paused.refreshes).toBeGreaterThanOrEqual(59);
  expect(r.afterWeekend.refreshes - r.paused.refreshes).toBeLessThanOrEqual(60);
  expect(r.afterWeekend.budget.hours.used).toBeCloseTo(r.paused.budget.hours.used, 1); // paused time does not count

  // The budget: 120 working hours (± one turn), 60 paused on top; about one turn per working hour.
  expect(r.outcome).toMatchObject({ status: 'budget_exhausted', reason: 'ran for 120 hours' });
  expect(r.final.budget.hours.used).toBeGreaterThanOrEqual(120);
  expect(r.final.budget.hours.used).toBeLessThan(121);
  const span = (Date.parse(r.final.endedAt!) - Date.parse(r.final.startedAt)) / HOUR;
  expect(span).toBeGreaterThan(180);
  expect(span).toBeLessThan(182.5);
  expect(r.final.refreshes).toBeGreaterThanOrEqual(Math.floor(span) - 1);
  expect(r.outcome.turns).toBeGreaterThanOrEqual(119);
  expect(r.outcome.turns).toBeLessThanOrEqual(122);

  // Continuous numbering: each turn asked once, 1..N, across the runs continue-as-new made.
  const numbers = fake.requests.map(turnOf);
  expect(numbers).toEqual(Array.from({ length: r.outcome.turns }, (_, i) => i + 1));
  const runs = await fetchRunChain(env.client, 'simulated-150h');
  expect(runs.length).toBeGreaterThan(1);
  // The hourly refresh's timer fires every hour and is never cancelled (a cancel of a timer that fired during the
  // workflow task strands this server's task, sdk-java#3088): the one cancelled timer is the wait the pause cut short.
  const events = runs.flatMap((history) => history.events ?? []);
  expect(events.filter((e) => e.timerCanceledEventAttributes).length).toBe(1);
  expect(events.filter((e) => e.timerFiredEventAttributes).length).toBeGreaterThanOrEqual(r.final.refreshes);
}, 600_000);
