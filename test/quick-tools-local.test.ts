/**
 * Quick tools as local activities (workflows/tool-call.ts): a goal's read_file, list_files, search and control calls
 * run inside the workflow task, its shell and write_file calls stay regular activities, a goal with a host keeps every
 * call a regular activity, and a local call that fails for a non-tool reason is run by the regular activity instead,
 * with the same stored result.
 */
import { Context } from '@temporalio/activity';
import type { temporal } from '@temporalio/proto';
import { FileGoalStore } from '../activities/store/files';
import { startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import type { GoalStore } from '../activities/store/types';
import { PATCHES } from '../workflows/patches';
import { lastToolResults, type FakeReply } from './fakes/openai-server';
import { NO_FINISHING } from './helpers/finishing';
import { createHarness, runGoal } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';

const suite = useServerAndFake();

const READS: FakeReply = {
  toolCalls: [
    { name: 'read_file', arguments: { path: 'score.txt' } },
    { name: 'list_files', arguments: { path: '.' } },
    { name: 'search', arguments: { pattern: '\\d' } },
    { name: 'record_progress', arguments: { done: 'read the score', remaining: 'raise it', next: 'write 5' } },
  ],
};
const WRITES: FakeReply = {
  toolCalls: [
    { name: 'shell', arguments: { command: 'cat score.txt' } },
    ...(writeScore(5).toolCalls as { name: string; arguments: Record<string, unknown> }[]),
  ],
};

const spec = (workspace: string) => ({
  objective: 'Raise the score',
  workspace,
  metrics: [scoreMetric(5)],
  sandbox: 'off' as const,
  ...NO_FINISHING,
});

type Event = temporal.api.history.v1.IHistoryEvent;

async function historyOf(goalId: string): Promise<Event[]> {
  return (await suite.env.client.workflow.getHandle(goalId).fetchHistory()).events ?? [];
}

/** The tool calls' activities: regular ones by type, local ones from their markers. */
function toolActivities(events: Event[]): { regular: number; local: number; patched: boolean } {
  const regular = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'executeTool');
  const local = events.filter((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_local_activity') return false;
    const data = m.details?.data?.payloads?.[0]?.data;
    return data !== undefined && data !== null && Buffer.from(data).toString().includes('"executeTool"');
  });
  const patched = events.some(
    (e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_patch' &&
      Buffer.from(e.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data ?? []).includes(
        PATCHES.quickToolsLocal.id,
      ),
  );
  return { regular: regular.length, local: local.length, patched };
}

test("a goal's read-only and control calls run as local activities, its shell and write_file as regular ones", async () => {
  suite.fake.setScript((_req, i) => (i === 0 ? READS : WRITES));
  const h = await createHarness(suite.env, suite.fake);
  const { outcome } = await runGoal(h, spec(scoreWorkspace(1)), 'quick-local');
  expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(toolActivities(await historyOf('quick-local'))).toEqual({ regular: 2, local: 4, patched: true });
  // The local calls' results reach the model as the regular ones do: the read's output is the score.
  const results = lastToolResults(suite.fake.requests[1]!);
  expect(results).toHaveLength(4);
  expect(results[0]!.output).toMatch(/\b1\b/);
});

test('a goal with a host runs every tool call as a regular activity on its host', async () => {
  suite.fake.setScript((_req, i) => (i === 0 ? READS : WRITES));
  const h = await createHarness(suite.env, suite.fake, 'responses', {}, { host: 'alpha' });
  const outcome = await h.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, parseGoalSpec(spec(scoreWorkspace(1))), {
      taskQueue: h.taskQueue,
      goalId: 'quick-hosted',
      host: 'alpha',
    });
    return handle.result();
  });
  expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(toolActivities(await historyOf('quick-hosted'))).toEqual({ regular: 6, local: 0, patched: false });
});

test('a local call that fails for a non-tool reason runs as a regular activity, with one stored result', async () => {
  const home = tempDir('longhaul-home-');
  const files = new FileGoalStore(home);
  let failures = 0; // of local attempts: both fail
  const store = new Proxy(files, {
    get(target, name, receiver) {
      if (name === 'readToolResult' && Context.current().info.isLocal) {
        return () => {
          failures += 1;
          return Promise.reject(new Error('the store is briefly unreachable'));
        };
      }
      const v = Reflect.get(target, name, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as GoalStore;
  suite.fake.setScript((_req, i) =>
    i === 0 ? { toolCalls: [{ name: 'read_file', arguments: { path: 'score.txt' } }] } : writeScore(5),
  );
  const h = await createHarness(suite.env, suite.fake, 'responses', { home, store });
  const { outcome } = await runGoal(h, spec(scoreWorkspace(1)), 'quick-fallback');
  expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
  expect(failures).toBe(2);
  const events = await historyOf('quick-fallback');
  // The local activity's failure is recorded (its marker); the regular activity ran the read, then the write.
  expect(toolActivities(events)).toEqual({ regular: 2, local: 1, patched: true });
  const [read] = lastToolResults(suite.fake.requests[1]!);
  expect(read!.output).toMatch(/\b1\b/);
  const stored = await files.readToolResult('quick-fallback', 1, callIdOf(events));
  expect(stored).toMatchObject({ name: 'read_file', isError: false, output: read!.output });
});

/** The call id of the first executeTool activity in `events`. */
function callIdOf(events: Event[]): string {
  const e = events.find((x) => x.activityTaskScheduledEventAttributes?.activityType?.name === 'executeTool');
  const data = e?.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
  return (JSON.parse(Buffer.from(data ?? []).toString()) as { callId: string }).callId;
}
