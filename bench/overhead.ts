/**
 * Benchmark 1 — overhead per turn: the same agent loop (one model call + one read_file per turn, the same fake model)
 * run (a) in-process with no Temporal (the physical limit), (b) as the peer, a `@temporalio/ai-sdk` workflow written
 * as its samples write one (bench/lib/peer-workflow.ts; its own in-process loop, the AI SDK's generateText, beside
 * it), and (c) as a Longhaul goal, all on one dev server, interleaved, at 0 ms and 1 s model latency. Per-turn time is
 * read where all sides are alike: when each turn's model request reaches the fake server. The histories then say
 * where the added time goes.
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
import type { FloorActivities, FloorMode } from './lib/floor-workflow';
import { startPeer, type Peer } from './lib/peer';
import { actionsPerTurn, describeActions, type Actions } from './lib/actions';
import os from 'node:os';
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
): Promise<{ side: Side; tasks: Task[]; events: number; goalId: string }> {
  const [ws] = workspaces(1);
  const goalId = `overhead-${process.pid}-${++goalSeq}`;
  model.arrivals.length = 0;
  const handle = await startGoal(env.client, benchGoal({ workspace: ws!, maxTurns: turns }), {
    taskQueue: w.taskQueue,
    goalId,
  });
  await handle.result();
  const { tasks, events } = await workflowTasks(env.client, goalId);
  return { side: sideOf(model.arrivals), tasks, events, goalId };
}

/**
 * Temporal's floor: a minimal workflow with a goal turn's two steps per turn, each taking as long as the in-process
 * call it stands for (a no-op would not do: the worker's next poll is not yet out when an activity completes at once,
 * which adds a wait real turns do not have), on a worker with the goal worker's settings and the same server. Its
 * turns are timed where the model step starts, as the goal's are; `perTurn` counts only what Temporal adds (the
 * steps' own time taken off). Three shapes (bench/lib/floor-workflow.ts): both steps activities, the tool step local
 * (a goal's read-only turn today), both local.
 */
interface Floor {
  run(turns: number, modelMs: number, toolMs: number, mode: FloorMode): Promise<Side>;
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
    async run(turns, modelMs, toolMs, mode) {
      arrivals.length = 0;
      Object.assign(step, { modelMs, toolMs });
      await env.client.workflow.execute('floorTurns', {
        taskQueue,
        workflowId: `floor-${process.pid}-${++goalSeq}`,
        args: [turns, mode],
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

/** The workflow id of the peer's latest run on Temporal (for its history). */
let lastPeerRun = '';

async function runPeer(peer: Peer, model: ScriptedModel, turns: number, inProcess: boolean): Promise<Side> {
  model.arrivals.length = 0;
  if (inProcess) await peer.inProcess(turns);
  else lastPeerRun = await peer.onTemporal(turns);
  return sideOf(model.arrivals);
}

/**
 * Where a turn's time goes in a workflow: per turn, the tasks between one model call's scheduling and the next's
 * (`modelActivity`: the goal's modelTurn, the peer's invokeModel). Local activities have no task of their own: they
 * run inside the workflow task.
 */
function breakdown(
  runs: readonly Task[][],
  modelActivity: string,
  inprocess: Record<string, number[]>,
): { lines: string[]; perTurn: number } {
  const rows = new Map<string, { count: number; queue: number[]; run: number[] }>();
  let turns = 0;
  let total = 0;
  for (const tasks of runs) {
    const models = tasks.filter((t) => t.name === modelActivity);
    // Skip the first turn (warm-up) and stop before the last (the end of the loop follows it).
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
    `${turns} turns, server timestamps; mean turn ${perTurn.toFixed(1)} ms:`,
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

type SideName = 'inproc' | 'goal' | 'peerInproc' | 'peer';
type Rep = Record<SideName, Side>;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

main(async () => {
  const started = Date.now();
  const loadAtStart = load();
  const turns0 = sized('turns', 80, 40);
  const turns1 = sized('slow-turns', 8, 6);
  const reps = sized('reps', 3, 2);
  const env = await startDevServer();
  const model = await startScriptedModel(0);
  const w = await inProcessWorker(env, model.fake.url);
  const running = w.worker.run();
  const floor = await floorWorker(env);
  const peer = await startPeer(env, model.fake.url);
  try {
    const results: Record<number, Rep[]> = { 0: [], 1000: [] };
    const floors: Record<FloorMode, Side[]> = { activities: [], 'tool-local': [], local: [] };
    const goalTasks: Task[][] = [];
    const peerTasks: Task[][] = [];
    const durations: Record<string, number[]> = {};
    let events = 0;
    let peerEvents = 0;
    let goalActions: Actions | null = null;
    let peerActions: Actions | null = null;
    // Warm-up: one short run of each side (JIT, workflow cache, connections).
    model.latencyMs = 0;
    await runInProcess(model, 10, {});
    await runGoal(env, w, model, 10);
    await runPeer(peer, model, 10, true);
    await runPeer(peer, model, 10, false);
    for (const mode of ['activities', 'tool-local', 'local'] as const) await floor.run(10, 0, 0, mode);
    for (const latency of [0, 1000]) {
      model.latencyMs = latency;
      const turns = latency === 0 ? turns0 : turns1;
      for (let r = 0; r < reps; r++) {
        // Rotate which side goes first, so a drift of the machine's load hits every side alike.
        const order: SideName[] = ['inproc', 'goal', 'peerInproc', 'peer'];
        for (let k = 0; k < r % order.length; k++) order.push(order.shift()!);
        const rep = {} as Rep;
        for (const side of order) {
          if (side === 'inproc') rep.inproc = await runInProcess(model, turns, latency === 0 ? durations : {});
          else if (side === 'peerInproc') rep.peerInproc = await runPeer(peer, model, turns, true);
          else if (side === 'peer') rep.peer = await runPeer(peer, model, turns, false);
          else {
            const goal = await runGoal(env, w, model, turns);
            rep.goal = goal.side;
            if (latency === 0) {
              goalTasks.push(goal.tasks);
              events = Math.max(events, goal.events);
              goalActions = await actionsPerTurn(env.client, goal.goalId, 'modelTurn');
            }
          }
        }
        if (latency === 0) {
          const last = await workflowTasks(env.client, lastPeerRun);
          peerTasks.push(last.tasks);
          peerEvents = Math.max(peerEvents, last.events);
          peerActions = await actionsPerTurn(env.client, lastPeerRun, 'invokeModel');
          // The floor's steps take the in-process calls' median times.
          const [modelMs, toolMs] = [median(durations.modelTurn ?? [0]), median(durations.executeTool ?? [0])];
          for (const mode of ['activities', 'tool-local', 'local'] as const) {
            floors[mode].push(await floor.run(turns, modelMs, toolMs, mode));
          }
        }
        results[latency]!.push(rep);
        console.error(
          `latency ${latency} ms, rep ${r + 1}/${reps} (load ${load()}): ms/turn in-process ${rep.inproc.perTurn.toFixed(1)}, goal ${rep.goal.perTurn.toFixed(1)}, peer in-process ${rep.peerInproc.perTurn.toFixed(1)}, peer ${rep.peer.perTurn.toFixed(1)}`,
        );
      }
    }
    const at = (latency: number, f: (x: Rep) => number) => median(results[latency]!.map(f));
    const added = results[0]!.map((x) => x.goal.perTurn - x.inproc.perTurn);
    const addedMs = median(added);
    const peerAdded = at(0, (x) => x.peer.perTurn - x.inproc.perTurn);
    const peerAddedOwn = at(0, (x) => x.peer.perTurn - x.peerInproc.perTurn);
    const goalLessPeer = at(0, (x) => x.goal.perTurn - x.peer.perTurn);
    const ratio = at(1000, (x) => x.goal.wall / x.inproc.wall);
    const peerRatio = at(1000, (x) => x.peer.wall / x.peerInproc.wall);
    const floorOf = (mode: FloorMode) => median(floors[mode].map((f) => f.perTurn));
    const own = median(added.map((a, i) => a - floors['tool-local'][i]!.perTurn));
    const perTurnActions = (a: Actions | null) => (a ? a.total / a.turns : NaN);
    const goalBreakdown = breakdown(goalTasks, 'modelTurn', durations);
    const peerBreakdown = breakdown(peerTasks, 'invokeModel', {});
    printReport({
      name: 'overhead',
      title: '1. Overhead per turn: in-process (a), the @temporalio/ai-sdk peer (b), a Longhaul goal (c)',
      command: commandFor('overhead'),
      size: `${turns0} turns at 0 ms and ${turns1} turns at 1 s model latency, ${reps} interleaved repetitions each of (a), (b), (c) and the peer's own in-process loop`,
      figures: [
        figure(
          '(c) Longhaul: added ms per read-only turn over (a) at 0 ms model latency (median of runs)',
          addedMs,
          'ms',
          {
            text: '≤ 20 ms',
            ok: addedMs <= 20,
          },
        ),
        figure('(c) less (b): goal ms per turn less the peer’s at 0 ms (median of runs)', goalLessPeer, 'ms', {
          text: '≤ 0 (Longhaul ≤ the peer)',
          ok: goalLessPeer <= 0,
        }),
        figure('(c) wall-time ratio goal / in-process at 1 s latency (median)', ratio, '', {
          text: '≤ 1.01',
          ok: ratio <= 1.01,
        }),
        figure('(b) peer: added ms per turn over (a) at 0 ms (median)', peerAdded, 'ms'),
        figure('(b) peer: added ms per turn over its own in-process loop at 0 ms (median)', peerAddedOwn, 'ms'),
        figure('(b) peer: wall-time ratio over its own in-process loop at 1 s (median)', peerRatio, ''),
        figure(
          '(a) in-process ms per turn at 0 ms (median)',
          at(0, (x) => x.inproc.perTurn),
          'ms',
        ),
        figure(
          "the peer's own in-process loop (AI SDK generateText), ms per turn at 0 ms",
          at(0, (x) => x.peerInproc.perTurn),
          'ms',
        ),
        figure(
          '(c) goal ms per turn at 0 ms (median)',
          at(0, (x) => x.goal.perTurn),
          'ms',
        ),
        figure(
          '(b) peer ms per turn at 0 ms (median)',
          at(0, (x) => x.peer.perTurn),
          'ms',
        ),
        figure(
          '(c) added ms per turn at 1 s latency (median)',
          at(1000, (x) => x.goal.perTurn - x.inproc.perTurn),
          'ms',
        ),
        figure(
          '(b) added ms per turn at 1 s latency, over its own in-process loop (median)',
          at(1000, (x) => x.peer.perTurn - x.peerInproc.perTurn),
          'ms',
        ),
        figure(
          "Temporal's floor: two activities per turn of the in-process calls' length, ms added per turn",
          floorOf('activities'),
          'ms',
        ),
        figure(
          'the floor with the tool step a local activity (the shape of a goal’s read-only turn)',
          floorOf('tool-local'),
          'ms',
        ),
        figure('the floor with both steps local activities (inside one workflow task)', floorOf('local'), 'ms'),
        figure("Longhaul's own share of the added ms (added less the tool-local floor, median of runs)", own, 'ms'),
        figure(
          '(c) Temporal Cloud actions per read-only turn, from the history',
          perTurnActions(goalActions),
          'actions',
        ),
        figure('(b) Temporal Cloud actions per turn, from the history', perTurnActions(peerActions), 'actions'),
        figure('spread of (c) added ms at 0 ms (p10–p90 width)', percentile(added, 90) - percentile(added, 10), 'ms'),
      ],
      details: [
        `Load average (1, 5, 15 min): ${loadAtStart} at start, ${load()} at the end (2 cores; other work on the machine shows here).`,
        '',
        '(c) Per turn in the goal (the read_file a local activity, inside the workflow task):',
        ...goalBreakdown.lines,
        '',
        '(b) Per turn in the peer (invokeModel and the read_file activity, each a task of its own):',
        ...peerBreakdown.lines,
        '',
        `Temporal Cloud actions (bench/lib/actions.ts; heartbeats and queries are not in a history): goal ${goalActions ? describeActions(goalActions) : '?'}; peer ${peerActions ? describeActions(peerActions) : '?'}.`,
        '',
        `Largest history of a timed run: goal ${events} events, peer ${peerEvents} events, for ${turns0} turns.`,
        `Runs (ms per turn, a / c / peer in-process / b): ${results[0]!.map((x) => `${x.inproc.perTurn.toFixed(1)}/${x.goal.perTurn.toFixed(1)}/${x.peerInproc.perTurn.toFixed(1)}/${x.peer.perTurn.toFixed(1)}`).join(', ')} at 0 ms; ${results[1000]!.map((x) => `${x.inproc.perTurn.toFixed(0)}/${x.goal.perTurn.toFixed(0)}/${x.peerInproc.perTurn.toFixed(0)}/${x.peer.perTurn.toFixed(0)}`).join(', ')} at 1 s.`,
      ],
      seconds: (Date.now() - started) / 1000,
    });
    void QUICK;
  } finally {
    await peer.close();
    await floor.close();
    w.worker.shutdown();
    await running;
    await model.close();
    await env.teardown();
  }
});
