import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import { editUpdate, guideSignal, pauseUpdate, resumeUpdate, statusQuery } from '../goal/messages';
import { allText } from './fakes/openai-server';
import { deferred } from './helpers/deferred';
import { startWorkerProcess, waitFor, WORKER_MAIN } from './helpers/worker-process';
import {
  BUGGY_STATS,
  FIXED_MEDIAN,
  gitWorkspace,
  scoreMetric,
  scoreWorkspace,
  tempDir,
  writeScore,
} from './helpers/workspace';
import { useServerAndFake } from './helpers/suite';
import { NO_FINISHING } from './helpers/finishing';

const suite = useServerAndFake();
beforeAll(() => {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
});

/** Live processes whose command line is exactly `args` (zombies excluded). */
function processesMatching(args: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => /^\s*(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !m[1]!.startsWith('Z') && m[2] === args)
    .map((m) => m[0]);
}

// Unsandboxed, the killed attempt's process outlives its worker and the retry stops it through its pid record;
// sandboxed, bwrap --die-with-parent ends it with the worker.
test.each([
  ['off', 'the retry stops the orphaned tool process'],
  ['on', 'the sandboxed tool process dies with its worker'],
] as const)(
  'a goal resumes after the worker is SIGKILLed mid-tool-call, without repeating completed model turns (sandbox %s: %s)',
  async (sandbox, _what) => {
    const ws = gitWorkspace(BUGGY_STATS);
    const home = tempDir('longhaul-home-');
    const taskQueue = `durability-${process.pid}`;
    // The first attempt sleeps "forever" (until killed); the retry is quick. runs.log counts the attempts.
    const sleep = `sleep 61.${process.pid}${sandbox === 'on' ? 1 : 0}`; // unique, so ps finds only this test's process
    const command = `echo run >> runs.log; if [ "$(wc -l < runs.log)" -eq 1 ]; then touch started; ${sleep}; fi; echo finished >> finished.log`;
    suite.fake.setScript([
      { toolCalls: [{ name: 'shell', arguments: { command } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
    ]);
    const handle = await startGoal(
      suite.env.client,
      parseGoalSpec({
        ...NO_FINISHING,
        objective: 'Make node test.js pass',
        workspace: ws,
        checks: [{ name: 'tests', command: 'node test.js' }],
        ...(sandbox === 'off' ? { sandbox: 'off' as const } : {}),
      }),
      { taskQueue, goalId: `survives-sigkill-${sandbox}`, tuning: { heartbeatTimeoutSeconds: 3 } },
    );

    const workerOptions = { address: suite.env.address, taskQueue, home, openaiBaseUrl: suite.fake.url };
    const first = startWorkerProcess(workerOptions);
    await waitFor(
      () => existsSync(path.join(ws, 'started')),
      60_000,
      `the long shell call to start\n${first.output()}`,
    );
    expect(suite.fake.requests).toHaveLength(1);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    if (sandbox === 'off')
      expect(processesMatching(sleep)).toHaveLength(1); // the orphan outlives its worker
    else
      await waitFor(() => processesMatching(sleep).length === 0, 5_000, 'the sandboxed sleep to die with its worker');

    const second = startWorkerProcess(workerOptions);
    try {
      const outcome = await handle.result();
      expect(outcome.status).toBe('achieved');
      // Turn 1's model call completed before the crash and is in history: it is not made again.
      expect(suite.fake.requests).toHaveLength(2);
      expect(outcome.turns).toBe(2);
      expect(readFileSync(path.join(ws, 'runs.log'), 'utf8')).toBe('run\nrun\n'); // the tool call was retried once
      expect(readFileSync(path.join(ws, 'finished.log'), 'utf8')).toBe('finished\n');
      // The retry stopped the leftover of the killed attempt.
      await waitFor(() => processesMatching(sleep).length === 0, 5_000, 'the leftover sleep to be killed');
      // The model saw the retried call's real result.
      const results = JSON.stringify(suite.fake.requests[1]!.body.input);
      expect(results).toContain('function_call_output');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  },
);

test('edits, guidance and pause survive a worker SIGKILL: none lost, none applied twice', async () => {
  const ws = scoreWorkspace(1);
  const home = tempDir('longhaul-home-');
  const taskQueue = `durability-steer-${process.pid}`;
  const turn1 = deferred();
  const release1 = deferred();
  suite.fake.setScript(async (_req, i) => {
    if (i === 0) {
      turn1.resolve();
      await release1.promise;
      return writeScore(2);
    }
    return writeScore(9);
  });
  const spec = parseGoalSpec({
    ...NO_FINISHING,
    objective: 'Raise the score',
    workspace: ws,
    metrics: [scoreMetric(5)],
  });
  const handle = await startGoal(suite.env.client, spec, {
    taskQueue,
    goalId: 'steer-survives',
    tuning: { heartbeatTimeoutSeconds: 3 },
  });
  const workerOptions = { address: suite.env.address, taskQueue, home, openaiBaseUrl: suite.fake.url };
  const first = startWorkerProcess(workerOptions);
  await turn1.promise;
  await handle.signal(guideSignal, 'G1: write a bigger number');
  await handle.executeUpdate(editUpdate, { args: [{ objective: 'Raise the score above 5', reason: 'clarity' }] });
  await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'review' }] });
  release1.resolve();
  // Wait until turn 1 is done, the edit applied and the goal parked at the boundary.
  await waitForAsync(async () => {
    const s = await handle.query(statusQuery);
    return (
      s.paused &&
      s.goalVersion === 2 &&
      s.pendingEdits.length === 0 &&
      s.checks.length === 0 &&
      s.metrics[0]!.latest === 2
    );
  }, 30_000);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = startWorkerProcess(workerOptions);
  try {
    const restored = await handle.query(statusQuery);
    expect(restored).toMatchObject({ paused: true, goalVersion: 2, turn: 1, objective: 'Raise the score above 5' });
    expect(restored.guidance.map((g) => g.text)).toEqual(['G1: write a bigger number']);
    expect(restored.history).toHaveLength(1);
    expect(suite.fake.requests).toHaveLength(1); // nothing ran while paused
    await handle.executeUpdate(resumeUpdate);
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'achieved', turns: 2 });
    expect(suite.fake.requests).toHaveLength(2);
    const text = allText(suite.fake.requests[1]!);
    const count = (needle: string) => text.split(needle).length - 1;
    expect(count('GOAL UPDATED by the user to version 2 (reason: clarity)')).toBe(1);
    expect(count('Guidance from the user: G1: write a bigger number')).toBe(1);
    expect(count('has been resumed')).toBe(1);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});

async function waitForAsync(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
