/**
 * The Temporal server itself goes away mid-goal: the dev server (SQLite file) is stopped and started again on the
 * same database, once gracefully and once killed outright. The worker and the client reconnect; the goal completes
 * with every turn asked exactly once.
 */
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../client/dev-server';
import { startGoal } from '../client/goals';
import { parseGoalSpec } from '../goal/spec';
import { FakeOpenAI, turnOf } from './fakes/openai-server';
import { freePort } from './helpers/ports';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process';
import { scoreMetric, scoreWorkspace, tempDir, writeScore } from './helpers/workspace';
import { NO_FINISHING } from './helpers/finishing';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await FakeOpenAI.start();
});
afterAll(async () => {
  await fake?.close();
});

test('a goal completes although the dev server is stopped and restarted on the same database twice', async () => {
  const home = tempDir('longhaul-home-');
  const [port, uiPort] = [await freePort(), await freePort()];
  const ws = scoreWorkspace(0);
  const TURNS = 8;
  let turns = 0;
  fake.setScript(async () => {
    turns += 1;
    await new Promise((r) => setTimeout(r, 500));
    return writeScore(turns >= TURNS ? 100 : turns);
  });
  let server: DevServer = await startDevServer({ home, port, uiPort });
  let worker: WorkerProcess | undefined;
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const taskQueue = `restart-${process.pid}`;
    worker = startWorkerProcess({ address: server.address, taskQueue, home, openaiBaseUrl: fake.url });
    const handle = await startGoal(
      client,
      parseGoalSpec({
        objective: 'Raise the score',
        workspace: ws,
        metrics: [scoreMetric(100)],
        budget: { maxTurns: 20 },
        ...NO_FINISHING,
      }),
      { taskQueue, goalId: 'survives-restart' },
    );
    for (const [after, how] of [
      [2, 'graceful'],
      [5, 'kill'],
    ] as const) {
      await waitFor(() => turns >= after, 60_000, `turn ${after}\n${worker.output()}`);
      if (how === 'kill') server.process.kill('SIGKILL');
      await server.stop();
      await new Promise((r) => setTimeout(r, 2_000)); // the worker and the client see the server gone
      server = await startDevServer({ home, port, uiPort });
    }
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'achieved', turns: TURNS });
    // Turns numbered 1..TURNS without a gap; only a call in flight when the server died may have been asked again.
    const numbers = fake.requests.map(turnOf);
    expect([...new Set(numbers)]).toEqual(Array.from({ length: TURNS }, (_, i) => i + 1));
    expect(numbers.length - TURNS).toBeLessThanOrEqual(2);
  } finally {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await connection.close();
    await server.stop();
  }
}, 240_000);
