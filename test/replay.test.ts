/**
 * Replay safety: every recorded goal history (test/fixtures/histories) replays against the current workflows, so a
 * change that would break goals already running fails here rather than 100 hours into a goal; and the same
 * histories fail against a deliberately nondeterministic variant, so this check can fail. Also checks the
 * time-skipping test server (test/helpers/time-skipping.ts) that timer-heavy goal tests build on.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type ReplayResult,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { LonghaulStatus, LonghaulTurns } from '../goal/search-attributes';
import { FakeOpenAI } from './fakes/openai-server';
import type { sleepWorkflow } from './fixtures/sleep-workflow';
import { createHarness, runGoal } from './helpers/goal-harness';
import { loadHistories } from './helpers/replay';
import { workflowBundle } from './helpers/temporal';
import { startTimeSkippingEnv } from './helpers/time-skipping';
import { scoreMetric, scoreWorkspace, writeScore } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

// Replaying the nondeterministic variant logs a warning per history, on purpose: show only errors.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

const histories = loadHistories();
const files = histories.map((h) => h.file);

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** Replays every recorded history with one replay worker; the result of each, by file. */
async function replayAll(bundle: WorkflowBundleWithSourceMap): Promise<Map<string, ReplayResult>> {
  const results = new Map<string, ReplayResult>();
  const replay = Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'replay-test' }, histories);
  let i = 0;
  for await (const result of replay) results.set(files[i++]!, result);
  return results;
}

test('the recorded histories cover a simple goal, a steered one, one out of budget, one that waited, one compacted inside its turns, one with local tool calls, a continued-as-new chain and a draft', () => {
  const ids = new Set(histories.map((h) => h.workflowId));
  expect([...ids].sort()).toEqual([
    'budget-exhausted',
    'compacted',
    'continue-as-new',
    'draft',
    'quick-tools-local',
    'simple-achieved',
    'steered',
    'waited',
  ]);
  expect(files.filter((f) => f.startsWith('continue-as-new.run-')).length).toBeGreaterThan(1);
});

describe('the current goal workflow', () => {
  let results: Map<string, ReplayResult>;
  beforeAll(async () => {
    results = await replayAll(await workflowBundle());
  });

  test.each(files)('replays %s without a determinism error', (file) => {
    expect(results.has(file)).toBe(true);
    expect(results.get(file)?.error?.message).toBeUndefined();
  });
});

describe('a goal workflow that adds a timer before its first step', () => {
  let results: Map<string, ReplayResult>;
  beforeAll(async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/nondeterministic-goal'),
      logger: quietLogger,
    });
    results = await replayAll(bundle);
  });

  test.each(files)('fails to replay %s with a DeterminismViolationError', (file) => {
    expect(results.get(file)?.error).toBeInstanceOf(DeterminismViolationError);
  });
});

describe('the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('skips a 100-hour timer in seconds', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'sleepy',
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('./fixtures/sleep-workflow'),
        logger: quietLogger,
      }),
    });
    const started = Date.now();
    const slept = await worker.runUntil(
      env.client.workflow.execute<typeof sleepWorkflow>('sleepWorkflow', {
        taskQueue: 'sleepy',
        workflowId: 'sleepy',
        args: [100],
      }),
    );
    expect(slept).toBeGreaterThanOrEqual(100 * 3_600_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('runs a goal to the end, with its search attributes registered', async () => {
    const fake = await FakeOpenAI.start([writeScore(3), writeScore(5)]);
    try {
      const h = await createHarness(env, fake);
      const { outcome, description } = await runGoal(
        h,
        { objective: 'Raise the score', workspace: scoreWorkspace(1), metrics: [scoreMetric(5)], ...NO_FINISHING },
        'time-skipped-goal',
      );
      expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
      expect(description.typedSearchAttributes.get(LonghaulStatus)).toBe('achieved');
      expect(description.typedSearchAttributes.get(LonghaulTurns)).toBe(2);
    } finally {
      await fake.close();
    }
  });
});
