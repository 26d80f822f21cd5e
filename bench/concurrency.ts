/**
 * Benchmark 2 — concurrent goals on one worker: G goals at once on one worker process, the model answering after
 * 2 s, each turn one short read_file. Turns per second against the ideal G / turn time (the model's latency: what
 * the goals would do if everything else were free), schedule-to-start delays from the histories, the worker's RSS
 * and CPU. Swept over G for the chosen worker settings; the SDK's defaults and reuseV8Context: false compared at
 * G = 100 (the largest G below the machine's saturation).
 */
import type { Client } from '@temporalio/client';
import os from 'node:os';
import { startGoal } from '../client/goals';
import type { GoalWorkerTuning } from '../worker/worker';
import { workflowBundleFile } from './lib/bundle';
import { commandFor, flag, main, QUICK, sized, sleep } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { schedulingDelays, workflowTasks, type Task } from './lib/history';
import { busyShare, cpuTimes } from './lib/machine-load';
import { startModelProcess, type ModelProcess } from './lib/model-process';
import { childPids } from './lib/processes';
import { actionsPerTurn } from './lib/actions';
import { mean, percentile } from './lib/stats';
import { startDevServer } from './lib/temporal';
import { startWorkerChild, usageOf } from './lib/worker-child';
import { tempDir } from '../test/helpers/workspace';
import { figure, printReport, type Figure } from './results';

const LATENCY_MS = 2000;

interface Config {
  readonly name: string;
  readonly tuning: GoalWorkerTuning;
  /** The SDK's defaults under `tuning`, not the shipped worker's (worker/config.ts). */
  readonly sdkBase?: boolean;
}

/** What we ship for many goals: an activity slot per goal (each waits ~2 s on the model), a cache that holds them all. */
const CHOSEN: Config = {
  name: 'chosen',
  tuning: {
    maxConcurrentActivityTaskExecutions: 1000,
    maxCachedWorkflows: 1000,
    maxConcurrentWorkflowTaskExecutions: 40,
  },
};
const SDK_DEFAULTS: Config = { name: 'SDK defaults', tuning: {}, sdkBase: true };
const NO_REUSE: Config = {
  name: 'chosen + reuseV8Context: false',
  tuning: { ...CHOSEN.tuning, reuseV8Context: false },
};

interface Point {
  readonly config: string;
  readonly goals: number;
  readonly turnsPerSecond: number;
  readonly ideal: number;
  readonly efficiency: number;
  readonly delayP50: number;
  readonly delayP99: number;
  readonly wftDelayP99: number;
  readonly rssMiB: number;
  /** Cores the worker used (CPU seconds per second). */
  readonly workerCores: number;
  /** Cores the Temporal dev server used. */
  readonly serverCores: number;
  /** Cores the fake model's process used. */
  readonly modelCores: number;
  /** Cores this process (the driver: starts goals, reads arrivals) used. */
  readonly driverCores: number;
  /** Worker and server CPU ms per turn. */
  readonly workerMsPerTurn: number;
  readonly serverMsPerTurn: number;
  /** Share of the whole machine busy (server, worker, this process, anything else). */
  readonly machineBusy: number;
  /** The 1-minute load average at the end of the window. */
  readonly load: number;
  /** Temporal Cloud actions per turn in one goal's history. */
  readonly actionsPerTurn: number;
  /** Mean start→complete of the model-turn activity (the model's 2 s and the worker's work around it), ms. */
  readonly modelTurnMs: number;
  /** Mean start→complete of a workflow task, ms. */
  readonly workflowTaskMs: number;
  readonly rampSeconds: number;
}

let pointSeq = 0;

async function measurePoint(
  client: Client,
  address: string,
  model: ModelProcess,
  serverPid: number,
  bundlePath: string,
  config: Config,
  goals: number,
  windowMs: number,
): Promise<Point> {
  const taskQueue = `bench-conc-${process.pid}-${++pointSeq}`;
  const worker = startWorkerChild({
    address,
    taskQueue,
    home: tempDir('longhaul-bench-home-'),
    modelUrl: model.url,
    tuning: config.tuning,
    ...(config.sdkBase ? { sdkBase: true } : {}),
    bundlePath,
  });
  await Promise.race([
    worker.ready,
    worker.exited.then(() => {
      throw new Error(`worker exited: ${worker.output()}`);
    }),
  ]);
  const pid = worker.child.pid!;
  const dirs = workspaces(goals);
  const ids: string[] = [];
  try {
    model.arrivals.length = 0;
    const rampStart = Date.now();
    for (const [i, ws] of dirs.entries()) {
      const id = `conc-${process.pid}-${pointSeq}-${i}`;
      ids.push(id);
      await startGoal(client, benchGoal({ workspace: ws, maxTurns: 100_000 }), { taskQueue, goalId: id });
    }
    // Ramp: every goal past its baseline and into its second turn.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const seen = new Map<string, number>();
      for (const a of model.arrivals) seen.set(a.workspace, (seen.get(a.workspace) ?? 0) + 1);
      if (dirs.every((d) => (seen.get(d) ?? 0) >= 2)) break;
      if (Date.now() > deadline) throw new Error(`ramp: only ${seen.size} of ${goals} goals are turning`);
      await sleep(200);
    }
    const rampSeconds = (Date.now() - rampStart) / 1000;
    const cpu = () => ({
      worker: usageOf(pid),
      server: usageOf(serverPid).cpuMs,
      model: usageOf(model.child.pid!).cpuMs,
      driver: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    });
    const t0 = Date.now();
    const wall0 = t0;
    const c0 = cpu();
    const u0 = c0.worker;
    const m0 = cpuTimes();
    let rss = u0.rss;
    while (Date.now() - t0 < windowMs) {
      await sleep(1000);
      rss = Math.max(rss, usageOf(pid).rss);
    }
    const t1 = Date.now();
    const wall1 = t1;
    const c1 = cpu();
    const u1 = c1.worker;
    const m1 = cpuTimes();
    await sleep(300); // the model process reports arrivals every 100 ms
    // Per goal, turns per second between its first and last turn in the window (no ±1 turn of quantisation).
    const byGoal = new Map<string, number[]>();
    for (const a of model.arrivals.filter((x) => x.wall >= t0 && x.wall < t1)) {
      byGoal.set(a.workspace, [...(byGoal.get(a.workspace) ?? []), a.wall]);
    }
    const turnsPerSecond = [...byGoal.values()]
      .filter((ts) => ts.length >= 2)
      .reduce((sum, ts) => sum + ((ts.length - 1) * 1000) / (ts[ts.length - 1]! - ts[0]!), 0);
    const ideal = goals / (LATENCY_MS / 1000);
    const tasks: Task[] = [];
    for (let i = 0; i < ids.length; i += 20) {
      const batch = await Promise.all(ids.slice(i, i + 20).map((id) => workflowTasks(client, id)));
      for (const b of batch) tasks.push(...b.tasks.filter((t) => t.scheduled >= wall0 && t.scheduled < wall1));
    }
    const actions = await actionsPerTurn(client, ids[0]!, 'modelTurn');
    const delays = schedulingDelays(tasks);
    const wft = schedulingDelays(tasks.filter((t) => t.kind === 'workflow-task'));
    const runMs = (name: string) =>
      mean(
        tasks
          .filter((t) => t.name === name && t.started !== null && t.completed !== null)
          .map((t) => t.completed! - t.started!),
      );
    return {
      config: config.name,
      goals,
      turnsPerSecond,
      ideal,
      efficiency: turnsPerSecond / ideal,
      delayP50: percentile(delays, 50),
      delayP99: percentile(delays, 99),
      wftDelayP99: percentile(wft, 99),
      rssMiB: rss / 2 ** 20,
      workerCores: (u1.cpuMs - u0.cpuMs) / (t1 - t0),
      serverCores: (c1.server - c0.server) / (t1 - t0),
      modelCores: (c1.model - c0.model) / (t1 - t0),
      driverCores: (c1.driver - c0.driver) / (t1 - t0),
      workerMsPerTurn: (u1.cpuMs - u0.cpuMs) / (turnsPerSecond * ((t1 - t0) / 1000)),
      serverMsPerTurn: (c1.server - c0.server) / (turnsPerSecond * ((t1 - t0) / 1000)),
      machineBusy: busyShare(m0, m1),
      load: os.loadavg()[0]!,
      actionsPerTurn: actions.total / actions.turns,
      modelTurnMs: runMs('modelTurn'),
      workflowTaskMs: runMs('workflow-task'),
      rampSeconds,
    };
  } finally {
    await Promise.all(
      ids.map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('benchmark point over')
          .catch(() => undefined),
      ),
    );
    await worker.kill('SIGKILL');
  }
}

/** What the cores went to at a point, by name: the machine, or the process short of it. */
function bottleneck(p: Point): string {
  const split = `worker ${p.workerCores.toFixed(2)}, dev server ${p.serverCores.toFixed(2)}, fake model ${p.modelCores.toFixed(2)}, driver ${p.driverCores.toFixed(2)} cores; machine ${(p.machineBusy * 100).toFixed(0)}% busy, load ${p.load.toFixed(1)}`;
  if (p.machineBusy >= 0.9)
    return `the machine's CPU (${split}): every core busy, the worker and the server queue for it`;
  if (p.workerCores >= 0.9) return `the worker's main thread (${split})`;
  return `not the CPU (${split}): waits (scheduling delays)`;
}

function row(p: Point): string {
  return `| ${p.config} | ${p.goals} | ${p.turnsPerSecond.toFixed(2)} | ${p.ideal.toFixed(1)} | ${(p.efficiency * 100).toFixed(1)}% | ${p.delayP50.toFixed(0)} / ${p.delayP99.toFixed(0)} ms | ${p.wftDelayP99.toFixed(0)} ms | ${p.rssMiB.toFixed(0)} MiB | ${p.workerCores.toFixed(2)} / ${p.serverCores.toFixed(2)} / ${p.modelCores.toFixed(2)} / ${p.driverCores.toFixed(2)} | ${p.workerMsPerTurn.toFixed(1)} / ${p.serverMsPerTurn.toFixed(1)} ms | ${p.modelTurnMs.toFixed(0)} / ${p.workflowTaskMs.toFixed(0)} ms | ${(p.machineBusy * 100).toFixed(0)}% | ${p.load.toFixed(1)} | ${p.rampSeconds.toFixed(0)} s |`;
}

main(async () => {
  const started = Date.now();
  const sweep = (flag('goals') ?? (QUICK ? '1,10,30' : '1,10,50,100,200')).split(',').map(Number);
  const windowMs = sized('window', 15, 8) * 1000;
  const compare = !process.argv.includes('--no-compare');
  const env = await startDevServer();
  const address = env.address;
  // The fake model in a process of its own, so that its CPU is neither the worker's nor the driver's.
  const model = await startModelProcess(LATENCY_MS);
  const [serverPid] = childPids(process.pid, 'start-dev');
  if (serverPid === undefined) throw new Error("the dev server process was not found among this process's children");
  const bundlePath = await workflowBundleFile();
  const points: Point[] = [];
  try {
    for (const g of sweep) {
      const p = await measurePoint(env.client, address, model, serverPid, bundlePath, CHOSEN, g, windowMs);
      points.push(p);
      console.error(row(p));
    }
    // Compared at G = 200 (or the largest G below it), the load.
    const at = Math.max(...sweep.filter((g) => g <= 200));
    if (compare) {
      for (const c of [SDK_DEFAULTS, NO_REUSE]) {
        const p = await measurePoint(env.client, address, model, serverPid, bundlePath, c, at, windowMs);
        points.push(p);
        console.error(row(p));
      }
    }
  } finally {
    await model.close();
    await env.teardown();
  }
  const chosen = points.filter((p) => p.config === CHOSEN.name);
  const kept = chosen.filter((p) => p.efficiency >= 0.9).map((p) => p.goals);
  const largest = kept.length > 0 ? Math.max(...kept) : 0;
  const one = chosen.find((p) => p.goals === 1);
  const topPoint = chosen.reduce((a, b) => (b.goals > a.goals ? b : a));
  const rssPerGoal = one && topPoint.goals > 1 ? (topPoint.rssMiB - one.rssMiB) / (topPoint.goals - 1) : NaN;
  const atLargest = chosen.find((p) => p.goals === largest) ?? topPoint;
  const cores = os.cpus().length;
  const topActions = topPoint.actionsPerTurn;
  const figures: Figure[] = [
    figure(`largest G (of ${sweep.join(', ')}) keeping ≥ 90% of the ideal`, largest, 'goals', {
      text: '≥ 200',
      ok: largest >= 200,
    }),
    figure('RSS per goal (worker, between G = 1 and the largest G measured)', rssPerGoal * 1024, 'KiB'),
    figure(`efficiency at G = ${topPoint.goals}`, topPoint.efficiency * 100, '%'),
    figure(`p50 scheduling delay at G = ${atLargest.goals}`, atLargest.delayP50, 'ms'),
    figure(`p99 scheduling delay at G = ${atLargest.goals}`, atLargest.delayP99, 'ms'),
    figure(`worker CPU at G = ${topPoint.goals}`, topPoint.workerCores, 'cores'),
    figure(
      'largest G at ≥ 90% per core of this machine (server, worker and fake share its cores)',
      largest / cores,
      'goals',
    ),
    figure(`worker CPU per turn at G = ${topPoint.goals}`, topPoint.workerMsPerTurn, 'ms'),
    figure(`dev server CPU per turn at G = ${topPoint.goals}`, topPoint.serverMsPerTurn, 'ms'),
    figure(`Temporal Cloud actions per turn (a goal's history at G = ${topPoint.goals})`, topActions, 'actions'),
  ];
  // Sizing on paper (issue 24, part 4): a worker core kept at 70% carries 0.7 × turn time / CPU per turn goals.
  const perCore = (turnMs: number) => (0.7 * turnMs) / topPoint.workerMsPerTurn;
  const sizing = [
    `Bottleneck at G = ${topPoint.goals}: ${bottleneck(topPoint)}.`,
    '',
    'Sizing a fleet from these figures (on paper: a worker core kept at 70%, the server elsewhere, e.g. Temporal Cloud):',
    '',
    '| model turn | goals per worker core | actions per goal-hour | goals per 100 actions/s |',
    '| --- | --- | --- | --- |',
    ...[2_000, 10_000, 30_000, 60_000].map(
      (t) =>
        `| ${t / 1000} s | ${perCore(t).toFixed(0)} | ${((topActions * 3_600_000) / t).toFixed(0)} | ${((100 * t) / 1000 / topActions).toFixed(0)} |`,
    ),
    '',
    `From ${topPoint.workerMsPerTurn.toFixed(1)} ms of worker CPU and ${topActions.toFixed(2)} actions per turn (read-only turns;`,
    'a turn that changes files adds its fingerprint and verification activities). Heartbeats reaching the server add',
    'an action per 24 s of a long call (80% of the 30 s heartbeat timeout), not counted above.',
  ];
  printReport({
    name: 'concurrency',
    title: '2. Concurrent goals on one worker',
    command: commandFor('concurrency'),
    size: `G = ${sweep.join(', ')}; ${windowMs / 1000} s measured after every goal is turning; model latency ${LATENCY_MS} ms`,
    figures,
    details: [
      '| worker settings | G | turns/s | ideal | of ideal | sched. delay p50 / p99 | WFT p99 | worker RSS (max) | cores: worker / server / model / driver | CPU per turn: worker / server | modelTurn / workflow task (start→complete) | machine busy | load (1 min) | ramp |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...points.map(row),
      '',
      `"chosen" = ${JSON.stringify(CHOSEN.tuning)}; "SDK defaults" = createGoalWorker as shipped (100 activity slots,`,
      '40 workflow-task slots, cache sized from the heap, 10 s sticky timeout); "chosen" runs on the shipped settings',
      '(worker/config.ts: 1 s sticky timeout). reuseV8Context defaults to true.',
      'Schedule-to-start delays cover every workflow task and activity scheduled in the window.',
      'The fake model runs in a process of its own (bench/lib/model-child.ts); CPU per process from /proc.',
      '',
      ...sizing,
    ],
    seconds: (Date.now() - started) / 1000,
  });
});
