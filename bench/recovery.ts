/**
 * Benchmark 3 — recovery: a goal 10 turns old and one 5,000 turns old (across continue-as-new) are paused with
 * nothing in flight, their worker is SIGKILLed, a new worker process starts and the goal is resumed: the time
 * from the new worker's start to the next completed model turn (ActivityTaskCompleted in the history), and where
 * it goes (process start and workflow bundling, the first workflow task replaying the run's history, the turn).
 * Two workers are compared: as shipped (worker/main.js with the bundle `npm run build` writes; it bundled the
 * workflows at start before) and the benchmark's worker with a prebuilt bundle.
 */
import type { Client } from '@temporalio/client';
import { startGoal } from '../client/goals';
import { pauseUpdate, resumeUpdate } from '../goal/messages';
import { workflowBundleFile } from './lib/bundle';
import { commandFor, main, sized, sleep } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { workflowTasks } from './lib/history';
import { READ_SCORE, startScriptedModel } from './lib/model';
import { median } from './lib/stats';
import { startDevServer } from './lib/temporal';
import { SHIPPED_WORKER, startWorkerChild, type WorkerChild } from './lib/worker-child';
import { tempDir } from '../test/helpers/workspace';
import { figure, printReport } from './results';

interface Recovery {
  readonly goal: string;
  readonly worker: string;
  /** New worker spawned → next model turn completed, ms. */
  readonly total: number;
  /** Spawned → polling (process start, connection, workflow bundle). */
  readonly startup: number;
  /** Spawned → the first workflow task the new worker started (waits for the dead worker's sticky queue included). */
  readonly wftStarted: number;
  /** That workflow task, start→complete: replaying the run's history in a fresh workflow context. */
  readonly wftRun: number;
  /** Workflow tasks that timed out since the spawn (sent to the dead worker's sticky queue). */
  readonly wftTimeouts: number;
  /** The model turn activity: scheduled → completed. */
  readonly modelTurn: number;
  readonly historyEvents: number;
  readonly runs: number;
}

/**
 * Waits until the goal has had no activity in flight for 3 s (a killed worker would leave one to a heartbeat
 * timeout): longer than the reporter's 2 s debounce, so the Slack sync a pause queues has come and gone.
 */
async function quiesce(client: Client, id: string): Promise<void> {
  let quietSince = performance.now();
  for (;;) {
    const d = await client.workflow.getHandle(id).describe();
    if ((d.raw.pendingActivities ?? []).length > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= 3_000) return;
    await sleep(100);
  }
}

main(async () => {
  const started = Date.now();
  const youngTurns = 10;
  const oldTurns = sized('old-turns', 5000, 300);
  const reps = sized('reps', 2, 1);
  const stickyWaitMs = sized('sticky-wait', 0, 0) * 1000;
  const env = await startDevServer();
  const client = env.client;
  const model = await startScriptedModel(0);
  const bundlePath = await workflowBundleFile();
  const home = tempDir('longhaul-bench-home-');
  const taskQueue = `bench-recovery-${process.pid}`;
  const [youngWs, oldWs] = workspaces(2);
  const goals = [
    { name: `${youngTurns} turns`, id: `recovery-young-${process.pid}`, ws: youngWs!, turns: youngTurns },
    { name: `${oldTurns} turns`, id: `recovery-old-${process.pid}`, ws: oldWs!, turns: oldTurns },
  ];
  const spawn = (shipped: boolean): WorkerChild =>
    startWorkerChild({
      address: env.address,
      taskQueue,
      home,
      modelUrl: model.fake.url,
      ...(shipped ? { main: SHIPPED_WORKER } : { bundlePath }),
    });
  const results: Recovery[] = [];
  let worker = spawn(false);
  try {
    await worker.ready;
    // Build up: both goals turn until their age, then pause (the model holds that turn until the pause is accepted).
    const pausedAt = new Map<string, number>();
    model.onTurn = async (_req, a) => {
      const g = goals.find((x) => x.ws === a.workspace);
      if (!g || pausedAt.has(g.id) || a.turn !== g.turns + 1) return;
      pausedAt.set(g.id, a.turn);
      await client.workflow.getHandle(g.id).executeUpdate(pauseUpdate, { args: [{ reason: 'benchmark' }] });
    };
    // Built with turns that answer in text, without a tool call: half the tasks per turn, so 5,000 turns build in
    // half the time. What a takeover replays is one run's history (continue-as-new bounds it in events, not turns).
    model.reply = () => ({ text: 'Still reading.' });
    const buildStart = Date.now();
    for (const g of goals) {
      await startGoal(client, benchGoal({ workspace: g.ws, maxTurns: 1_000_000, contextWindow: 8_000 }), {
        taskQueue,
        goalId: g.id,
        ...(oldTurns < 1000 ? { tuning: { maxHistoryEvents: 1000 } } : {}),
      });
    }
    while (pausedAt.size < goals.length) await sleep(500);
    for (const g of goals) await quiesce(client, g.id);
    const buildSeconds = (Date.now() - buildStart) / 1000;
    console.error(`built up in ${buildSeconds.toFixed(0)} s`);
    model.onTurn = null;
    model.reply = () => READ_SCORE; // the timed turns: a model call and its tool call, as everywhere else

    for (let r = 0; r < reps; r++) {
      for (const shipped of [false, true]) {
        for (const g of goals) {
          await worker.kill('SIGKILL');
          if (stickyWaitMs > 0) await sleep(stickyWaitMs);
          const handle = client.workflow.getHandle(g.id);
          const spawnedWall = Date.now();
          worker = spawn(shipped);
          const readyAt = worker.ready;
          const arrivalsBefore = model.arrivals.length;
          const resumed = handle.executeUpdate(resumeUpdate);
          while (!model.arrivals.slice(arrivalsBefore).some((a) => a.workspace === g.ws)) await sleep(20);
          await resumed;
          const startup = (await readyAt) - worker.spawnedAt;
          // The goal goes on turning on the new worker until paused again; its first model turn after the spawn is the one.
          await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'benchmark' }] });
          await quiesce(client, g.id);
          const { tasks, events } = await workflowTasks(client, g.id);
          const turn = tasks.find((t) => t.name === 'modelTurn' && t.scheduled >= spawnedWall && t.completed !== null);
          const wft = tasks.find((t) => t.kind === 'workflow-task' && t.started !== null && t.started >= spawnedWall);
          const wftTimeouts = tasks.filter(
            (t) =>
              t.kind === 'workflow-task' && t.started === null && t.completed !== null && t.completed >= spawnedWall,
          ).length;
          if (!turn || !wft) throw new Error(`no model turn of ${g.name} after the restart in the history`);
          let runs = 0;
          for await (const _ of client.workflow.list({ query: `WorkflowId = '${g.id}'` })) runs += 1;
          const rec: Recovery = {
            goal: g.name,
            worker: shipped ? 'as shipped' : 'prebuilt bundle',
            total: turn.completed! - spawnedWall,
            startup,
            wftStarted: wft.started! - spawnedWall,
            wftRun: wft.completed! - wft.started!,
            wftTimeouts,
            modelTurn: turn.completed! - turn.scheduled,
            historyEvents: events,
            runs,
          };
          results.push(rec);
          console.error(JSON.stringify(rec));
        }
      }
    }
  } finally {
    await worker.kill('SIGKILL');
    await model.close();
    await env.teardown();
  }
  const of = (goal: string, w: string) =>
    median(results.filter((x) => x.goal === goal && x.worker === w).map((x) => x.total));
  const [young, old] = goals.map((g) => g.name) as [string, string];
  const figures = ['as shipped', 'prebuilt bundle'].flatMap((w) => {
    const y = of(young, w) / 1000;
    const o = of(old, w) / 1000;
    return [
      figure(`${w}: recovery of the ${young} goal`, y, 's', { text: '≤ 2 s', ok: y <= 2 }),
      figure(`${w}: recovery of the ${old} goal`, o, 's', { text: '≤ 2 s', ok: o <= 2 }),
      figure(`${w}: ratio old / young`, o / y, '', { text: '≤ 1.5', ok: o / y <= 1.5 }),
    ];
  });
  printReport({
    name: 'recovery',
    title: '3. Recovery after SIGKILL of the worker',
    command: commandFor('recovery'),
    size: `goals ${youngTurns} and ${oldTurns} turns old, ${reps} repetition(s) per worker kind`,
    figures,
    details: [
      '| goal | worker | total | spawn→polling | spawn→first workflow task | its replay | timed-out workflow tasks | model turn | history events (current run) | runs |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...results.map(
        (x) =>
          `| ${x.goal} | ${x.worker} | ${x.total} ms | ${x.startup.toFixed(0)} ms | ${x.wftStarted} ms | ${x.wftRun} ms | ${x.wftTimeouts} | ${x.modelTurn} ms | ${x.historyEvents} | ${x.runs} |`,
      ),
      '',
      'The goal is paused with nothing in flight before the kill, so no heartbeat timeout is in these figures (an',
      'activity running at the kill adds up to its heartbeat timeout, 30 s by default, before its retry).',
      "A timed-out workflow task is one the server sent to the killed worker's sticky queue: it waits out the",
      "worker's stickyQueueScheduleToStartTimeout (Longhaul's 1 s; the SDK's 10 s) before going to the shared queue.",
    ],
    seconds: (Date.now() - started) / 1000,
  });
});
