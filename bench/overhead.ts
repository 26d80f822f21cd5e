/**
 * Benchmark 1 — overhead per turn: the same agent loop (same fake model, same tools, same activity functions) run
 * in-process with no Temporal (the physical limit) and as a Longhaul goal on a real dev server, interleaved, at 0 ms
 * and 1 s model latency. Per-turn time is read where both sides are alike: when each turn's model request reaches
 * the fake server. The goal's history then says where the added time goes.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startGoal } from '../client/goals';
import { benchGoal, workspaces } from './lib/goals';
import { commandFor, main, QUICK, sized } from './lib/cli';
import { startDevServer, inProcessWorker, type InProcessWorker } from './lib/temporal';
import { startScriptedModel, type ScriptedModel } from './lib/model';
import { inProcessLoop } from './lib/inprocess';
import { mean, median, percentile } from './lib/stats';
import { workflowTasks, type Task } from './lib/history';
import { figure, printReport } from './results';
import type { FloorActivities } from './lib/floor-workflow';
import { workerTuningFromEnv } from '../worker/config';

interface Side {
  /** Mean ms per turn over the timed turns. */
  readonly perTurn: number;
  /** Median interval between consecutive turns, ms. */
  readonly medianInterval: number;
  /** Wall time of the timed turns, ms. */
  readonly wall: number;
}

function sideOf(arrivals: readonly { at: number }[]): Side {
  const ts = arrivals.map((a) => a.at);
  const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
  const wall = ts[ts.length - 1]! - ts[0]!;
  return { perTurn: wall / gaps.length, medianInterval: median(gaps), wall };
}

let goalSeq = 0;

async function runInProcess(model: ScriptedModel, turns: number, durations: Record<string, number[]>): Promise<Side> {
  const [ws] = workspaces(1);
  const loop = await inProcessLoop(
    benchGoal({ workspace: ws!, maxTurns: turns }),
    `inproc-${++goalSeq}`,
    model.fake.url,
  );
  model.arrivals.length = 0;
  await loop.turns(turns);
  for (const [k, v] of Object.entries(loop.durations)) (durations[k] ??= []).push(...v.slice(1));
  return sideOf(model.arrivals);
}

async function runGoal(
  env: TestWorkflowEnvironment,
  w: InProcessWorker,
  model: ScriptedModel,
  turns: number,
): Promise<{ side: Side; tasks: Task[]; events: number }> {
  const [ws] = workspaces(1);
  const goalId = `overhead-${process.pid}-${++goalSeq}`;
  model.arrivals.length = 0;
  const handle = await startGoal(env.client, benchGoal({ workspace: ws!, maxTurns: turns }), {
    taskQueue: w.taskQueue,
    goalId,
  });
  await handle.result();
  const { tasks, events } = await workflowTasks(env.client, goalId);
  return { side: sideOf(model.arrivals), tasks, events };
}

/**
 * Temporal's floor: a minimal workflow with a goal turn's two activities per turn, each taking as long as the
 * in-process call it stands for (a no-op would not do: the worker's next poll is not yet out when an activity
 * completes at once, which adds a wait real turns do not have), on a worker with the goal worker's settings and the
 * same server. Its turns are timed where the model step starts, as the goal's are; `perTurn` counts only what
 * Temporal adds (the steps' own time taken off).
 */
interface Floor {
  run(turns: number, modelMs: number, toolMs: number, local?: boolean): Promise<Side>;
  close(): Promise<void>;
}

async function floorWorker(env: TestWorkflowEnvironment): Promise<Floor> {
  const arrivals: { at: number }[] = [];
  const step = { modelMs: 0, toolMs: 0 };
  const after = (ms: number, turn: number) => new Promise<number>((resolve) => setTimeout(() => resolve(turn), ms));
  const activities: FloorActivities = {
    modelStep: (turn) => (arrivals.push({ at: Date.now() }), after(step.modelMs, turn)),
    toolStep: (turn) => after(step.toolMs, turn),
  };
  const taskQueue = `bench-floor-${process.pid}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('./lib/floor-workflow'),
    activities,
    ...workerTuningFromEnv({}), // as the goal's worker (bench/lib/temporal.ts inProcessWorker)
  });
  const running = worker.run();
  return {
    async run(turns, modelMs, toolMs, local = false) {
      arrivals.length = 0;
      Object.assign(step, { modelMs, toolMs });
      await env.client.workflow.execute('floorTurns', {
        taskQueue,
        workflowId: `floor-${process.pid}-${++goalSeq}`,
        args: [turns, local],
      });
      const side = sideOf(arrivals);
      return { ...side, perTurn: side.perTurn - modelMs - toolMs };
    },
    async close() {
      worker.shutdown();
      await running;
    },
  };
}

/** Where a turn's time goes in the goal: per turn, the tasks between one model call's scheduling and the next's. */
function breakdown(runs: readonly Task[][], inprocess: Record<string, number[]>): { lines: string[]; perTurn: number } {
  const rows = new Map<string, { count: number; queue: number[]; run: number[] }>();
  let turns = 0;
  let total = 0;
  for (const tasks of runs) {
    const models = tasks.filter((t) => t.name === 'modelTurn');
    // Skip the first turn (warm-up) and stop before the last (the end of the goal follows it).
    for (let k = 1; k < models.length - 1; k++) {
      const from = models[k]!.scheduled;
      const to = models[k + 1]!.scheduled;
      turns += 1;
      total += to - from;
      for (const t of tasks.filter((x) => x.scheduled >= from && x.scheduled < to)) {
        const row = rows.get(t.name) ?? { count: 0, queue: [], run: [] };
        row.count += 1;
        if (t.started !== null) row.queue.push(t.started - t.scheduled);
        if (t.started !== null && t.completed !== null) row.run.push(t.completed - t.started);
        rows.set(t.name, row);
      }
    }
  }
  const perTurn = total / turns;
  const lines = [
    `Per turn in the goal (${turns} turns, server timestamps; mean turn ${perTurn.toFixed(1)} ms):`,
    '',
    '| task | per turn | schedule→start mean (p50) | start→complete mean (p50) | ms per turn | in-process call mean |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  let accounted = 0;
  for (const [name, r] of rows) {
    const per = r.count / turns;
    const msPerTurn = (mean(r.queue) + mean(r.run)) * per;
    accounted += msPerTurn;
    const inproc = inprocess[name];
    lines.push(
      `| ${name} | ${per.toFixed(2)} | ${mean(r.queue).toFixed(1)} (${median(r.queue).toFixed(1)}) ms | ${mean(r.run).toFixed(1)} (${median(r.run).toFixed(1)}) ms | ${msPerTurn.toFixed(1)} | ${inproc ? `${mean(inproc).toFixed(1)} ms` : ''} |`,
    );
  }
  lines.push(`| (between tasks: server bookkeeping) | | | | ${(perTurn - accounted).toFixed(1)} | |`);
  return { lines, perTurn };
}

main(async () => {
  const started = Date.now();
  const turns0 = sized('turns', 80, 40);
  const turns1 = sized('slow-turns', 8, 6);
  const reps = sized('reps', 3, 2);
  const env = await startDevServer();
  const model = await startScriptedModel(0);
  const w = await inProcessWorker(env, model.fake.url);
  const running = w.worker.run();
  const floor = await floorWorker(env);
  try {
    const results: Record<number, { inproc: Side; goal: Side }[]> = { 0: [], 1000: [] };
    const floors: Side[] = [];
    const localFloors: Side[] = [];
    const goalTasks: Task[][] = [];
    const durations: Record<string, number[]> = {};
    let events = 0;
    // Warm-up: one short run of each side (JIT, workflow cache, connections).
    model.latencyMs = 0;
    await runInProcess(model, 10, {});
    await runGoal(env, w, model, 10);
    await floor.run(10, 0, 0);
    for (const latency of [0, 1000]) {
      model.latencyMs = latency;
      const turns = latency === 0 ? turns0 : turns1;
      for (let r = 0; r < reps; r++) {
        // Alternate which side goes first, so a drift of the machine's load hits both alike.
        let inproc: Side;
        let goal: Awaited<ReturnType<typeof runGoal>>;
        if (r % 2 === 0) {
          inproc = await runInProcess(model, turns, latency === 0 ? durations : {});
          goal = await runGoal(env, w, model, turns);
        } else {
          goal = await runGoal(env, w, model, turns);
          inproc = await runInProcess(model, turns, latency === 0 ? durations : {});
        }
        if (latency === 0) {
          // The floor's steps take the in-process calls' median times.
          const [modelMs, toolMs] = [median(durations.modelTurn ?? [0]), median(durations.executeTool ?? [0])];
          floors.push(await floor.run(turns, modelMs, toolMs));
          localFloors.push(await floor.run(turns, modelMs, toolMs, true));
          goalTasks.push(goal.tasks);
          events = Math.max(events, goal.events);
        }
        results[latency]!.push({ inproc, goal: goal.side });
        console.error(
          `latency ${latency} ms, rep ${r + 1}/${reps}: in-process ${inproc.perTurn.toFixed(1)} ms/turn, goal ${goal.side.perTurn.toFixed(1)} ms/turn`,
        );
      }
    }
    const added = results[0]!.map((x) => x.goal.perTurn - x.inproc.perTurn);
    const addedMedianInterval = results[0]!.map((x) => x.goal.medianInterval - x.inproc.medianInterval);
    const ratios = results[1000]!.map((x) => x.goal.wall / x.inproc.wall);
    const addedSlow = results[1000]!.map((x) => x.goal.perTurn - x.inproc.perTurn);
    const { lines } = breakdown(goalTasks, durations);
    const addedMs = median(added);
    const ratio = median(ratios);
    const floorMs = median(floors.map((f) => f.perTurn));
    const localFloorMs = median(localFloors.map((f) => f.perTurn));
    const own = median(added.map((a, i) => a - floors[i]!.perTurn));
    printReport({
      name: 'overhead',
      title: '1. Overhead per turn (in-process loop against a Longhaul goal)',
      command: commandFor('overhead'),
      size: `${turns0} turns at 0 ms and ${turns1} turns at 1 s model latency, ${reps} interleaved repetitions each`,
      figures: [
        figure('added ms per turn at 0 ms model latency (median of runs)', addedMs, 'ms', {
          text: '≤ 20 ms',
          ok: addedMs <= 20,
        }),
        figure('wall-time ratio goal / in-process at 1 s latency (median)', ratio, '', {
          text: '≤ 1.02',
          ok: ratio <= 1.02,
        }),
        figure('in-process ms per turn at 0 ms (median)', median(results[0]!.map((x) => x.inproc.perTurn)), 'ms'),
        figure('goal ms per turn at 0 ms (median)', median(results[0]!.map((x) => x.goal.perTurn)), 'ms'),
        figure('added ms per turn, from median turn intervals', median(addedMedianInterval), 'ms'),
        figure('added ms per turn at 1 s latency (median)', median(addedSlow), 'ms'),
        figure(
          "Temporal's floor: ms added per turn to a minimal workflow's two activities of the same length",
          floorMs,
          'ms',
        ),
        figure('the same floor with the two steps as local activities (inside the workflow task)', localFloorMs, 'ms'),
        figure("Longhaul's own share of the added ms (added less the floor, median of runs)", own, 'ms'),
        figure('spread of added ms at 0 ms (p10–p90 width)', percentile(added, 90) - percentile(added, 10), 'ms'),
      ],
      details: [
        ...lines,
        '',
        `Largest history of a timed run: ${events} events for ${turns0} turns.`,
        `Runs (in-process / goal ms per turn): ${results[0]!.map((x) => `${x.inproc.perTurn.toFixed(1)}/${x.goal.perTurn.toFixed(1)}`).join(', ')} at 0 ms; ${results[1000]!.map((x) => `${x.inproc.perTurn.toFixed(0)}/${x.goal.perTurn.toFixed(0)}`).join(', ')} at 1 s.`,
      ],
      seconds: (Date.now() - started) / 1000,
    });
    void QUICK;
  } finally {
    await floor.close();
    w.worker.shutdown();
    await running;
    await model.close();
    await env.teardown();
  }
});
