import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import { FakeOpenAI } from './fakes/openai-server';
import { startTestServer } from './helpers/temporal';
import { startWorkerProcess, waitFor, WORKER_MAIN } from './helpers/worker-process';
import { BUGGY_STATS, FIXED_MEDIAN, gitWorkspace, tempDir } from './helpers/workspace';

let env: TestWorkflowEnvironment;
let fake: FakeOpenAI;

beforeAll(async () => {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  env = await startTestServer();
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  await fake?.close();
  await env?.teardown();
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

test('a goal resumes after the worker is SIGKILLed mid-tool-call, without repeating completed model turns', async () => {
  const ws = gitWorkspace(BUGGY_STATS);
  const home = tempDir('longhaul-home-');
  const taskQueue = `durability-${process.pid}`;
  // The first attempt sleeps "forever" (until killed); the retry is quick. runs.log counts the attempts.
  const sleep = `sleep 61.${process.pid}`; // unique, so ps finds only this test's process
  const command = `echo run >> runs.log; if [ "$(wc -l < runs.log)" -eq 1 ]; then touch started; ${sleep}; fi; echo finished >> finished.log`;
  fake.setScript([
    { toolCalls: [{ name: 'shell', arguments: { command } }] },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'stats.js', content: FIXED_MEDIAN } }] },
  ]);
  const handle = await startGoal(
    env.client,
    parseGoalSpec({
      objective: 'Make node test.js pass',
      workspace: ws,
      checks: [{ name: 'tests', command: 'node test.js' }],
    }),
    { taskQueue, goalId: 'survives-sigkill', tuning: { heartbeatTimeoutSeconds: 3 } },
  );

  const workerOptions = { address: env.address, taskQueue, home, openaiBaseUrl: fake.url };
  const first = startWorkerProcess(workerOptions);
  await waitFor(() => existsSync(path.join(ws, 'started')), 60_000, `the long shell call to start\n${first.output()}`);
  expect(fake.requests).toHaveLength(1);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  expect(processesMatching(sleep)).toHaveLength(1); // the orphaned tool process outlives its worker

  const second = startWorkerProcess(workerOptions);
  try {
    const outcome = await handle.result();
    expect(outcome.status).toBe('achieved');
    // Turn 1's model call completed before the crash and is in history: it is not made again.
    expect(fake.requests).toHaveLength(2);
    expect(outcome.turns).toBe(2);
    expect(readFileSync(path.join(ws, 'runs.log'), 'utf8')).toBe('run\nrun\n'); // the tool call was retried once
    expect(readFileSync(path.join(ws, 'finished.log'), 'utf8')).toBe('finished\n');
    // The retry stopped the leftover of the killed attempt.
    await waitFor(() => processesMatching(sleep).length === 0, 5_000, 'the leftover sleep to be killed');
    // The model saw the retried call's real result.
    const results = JSON.stringify(fake.requests[1]!.body.input);
    expect(results).toContain('function_call_output');
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});
