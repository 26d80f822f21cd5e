/**
 * A goal whose worker changes to one with another goal store (a second `longhaul dev` with its own LONGHAUL_HOME on
 * the first one's server): the goal's activities carry its store's id from the baseline on, so the other worker
 * refuses the very first one, before any model request or record lands in the wrong store, and the goal ends
 * blocked saying what to do.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startGoal } from '../client/goals';
import { goalDir } from '../common/goal-files';
import { pauseUpdate, resumeUpdate, statusQuery } from '../goal/messages';
import { parseGoalSpec } from '../goal/spec';
import { createGoalWorker } from '../worker/worker';
import { createHarness } from './helpers/goal-harness';
import { useServerAndFake } from './helpers/suite';
import { workflowBundle } from './helpers/temporal';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();

test('a worker with another goal store refuses the goal at its first activity; the goal ends blocked with the fix', async () => {
  suite.fake.setScript(() => writeScore(9));
  const first = await createHarness(suite.env, suite.fake);
  const spec = parseGoalSpec({
    objective: 'Raise the score to 9',
    workspace: scoreWorkspace(0),
    metrics: [scoreMetric(9)],
    ...NO_FINISHING,
  });
  const handle = await first.worker.runUntil(async () => {
    const handle = await startGoal(suite.env.client, spec, { taskQueue: first.taskQueue, goalId: 'other-store' });
    await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'switch workers' }] });
    // Paused at the first turn boundary: the baseline (and the store id) is recorded, no turn has started.
    for (;;) {
      const s = await handle.query(statusQuery);
      if (s.paused && s.metrics[0]?.baseline === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return handle;
  });

  // The same server and task queue, another LONGHAUL_HOME: another goal store.
  const otherHome = tempDir('longhaul-other-home-');
  const second = await createGoalWorker({
    connection: suite.env.nativeConnection,
    namespace: suite.env.namespace ?? 'default',
    taskQueue: first.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      home: otherHome,
      openai: { apiKey: 'sk-test-secret-key', baseURL: suite.fake.url },
      defaultModel: 'fake-model',
    },
  });
  const { outcome, status } = await second.runUntil(async () => {
    await handle.executeUpdate(resumeUpdate, { args: [] });
    return { outcome: await handle.result(), status: await handle.query(statusQuery) };
  });

  expect(outcome.status).toBe('blocked');
  expect(status.reason).toMatch(/has no record of goal other-store .*another goal store/);
  expect(status.reason).toMatch(/Run this worker with the same goal store/);
  expect(suite.fake.requests).toHaveLength(0); // nothing spent on the wrong store
  expect(existsSync(path.join(goalDir(otherHome, 'other-store'), 'turns'))).toBe(false);
});
