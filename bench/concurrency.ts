/**
 * Benchmark 2 — concurrent goals on one worker: G goals at once on one worker process, the model answering after
 * 2 s, each turn one short read_file. Turns per second against the ideal G / turn time (the model's latency: what
 * the goals would do if everything else were free), schedule-to-start delays from the histories, the worker's RSS
 * and CPU. Swept over G for the chosen worker settings; the SDK's defaults and reuseV8Context: false compared at
 * G = 100 (the largest G below the machine's saturation).
 */
import type { Client } from '@temporalio/client';
import { startGoal } from '../client/goals';
import type { GoalWorkerTuning } from '../worker/worker';
import { workflowBundleFile } from './lib/bundle';
import { commandFor, flag, main, QUICK, sized, sleep } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { schedulingDelays, workflowTasks, type Task } from './lib/history';
import { busyShare, cpuTimes } from './lib/machine-load';
import { startScriptedModel, type ScriptedModel } from './lib/model';
import { percentile } from './lib/stats';
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
  /** Share of the whole machine busy (server, worker, this process, anything else). */
  readonly machineBusy: number;
  readonly rampSeconds: number;
}

let pointSeq = 0;

async function measurePoint(
  client: Client,
  address: string,
  model: ScriptedModel,
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
    modelUrl: model.fake.url,
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
    const rampStart = performance.now();
    for (const [i, ws] of dirs.entries()) {
      const id = `conc-${process.pid}-${pointSeq}-${i}`;
      ids.push(id);
      await startGoal(client, benchGoal({ workspace: ws, maxTurns: 100_000 }), { taskQueue, goalId: id });
    }
    // Ramp: every goal past its baseline and into its second turn.
    const deadline = performance.now() + 180_000;
    for (;;) {
      const seen = new Map<string, number>();
      for (const a of model.arrivals) seen.set(a.workspace, (seen.get(a.workspace) ?? 0) + 1);
      if (dirs.every((d) => (seen.get(d) ?? 0) >= 2)) break;
      if (performance.now() > deadline) throw new Error(`ramp: only ${seen.size} of ${goals} goals are turning`);
      await sleep(200);
    }
    const rampSeconds = (performance.now() - rampStart) / 1000;
    const t0 = performance.now();
    const wall0 = Date.now();
    const u0 = usageOf(pid);
    const m0 = cpuTimes();
    let rss = u0.rss;
    while (performance.now() - t0 < windowMs) {
      await sleep(1000);
      rss = Math.max(rss, usageOf(pid).rss);
    }
    const t1 = performance.now();
    const wall1 = Date.now();
    const u1 = usageOf(pid);
    const m1 = cpuTimes();
    // Per goal, turns per second between its first and last turn in the window (no ±1 turn of quantisation).
    const byGoal = new Map<string, number[]>();
    for (const a of model.arrivals.filter((x) => x.at >= t0 && x.at < t1)) {
      byGoal.set(a.workspace, [...(byGoal.get(a.workspace) ?? []), a.at]);
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
    const delays = schedulingDelays(tasks);
    const wft = schedulingDelays(tasks.filter((t) => t.kind === 'workflow-task'));
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
      machineBusy: busyShare(m0, m1),
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

function row(p: Point): string {
  return `| ${p.config} | ${p.goals} | ${p.turnsPerSecond.toFixed(2)} | ${p.ideal.toFixed(1)} | ${(p.efficiency * 100).toFixed(1)}% | ${p.delayP50.toFixed(0)} / ${p.delayP99.toFixed(0)} ms | ${p.wftDelayP99.toFixed(0)} ms | ${p.rssMiB.toFixed(0)} MiB | ${p.workerCores.toFixed(2)} | ${(p.machineBusy * 100).toFixed(0)}% | ${p.rampSeconds.toFixed(0)} s |`;
}

main(async () => {
  const started = Date.now();
  const sweep = (flag('goals') ?? (QUICK ? '1,10,30' : '1,10,25,50,100,200')).split(',').map(Number);
  const windowMs = sized('window', 15, 8) * 1000;
  const compare = !process.argv.includes('--no-compare');
  const env = await startDevServer();
  const address = env.address;
  const model = await startScriptedModel(LATENCY_MS);
  const bundlePath = await workflowBundleFile();
  const points: Point[] = [];
  try {
    for (const g of sweep) {
      const p = await measurePoint(env.client, address, model, bundlePath, CHOSEN, g, windowMs);
      points.push(p);
      console.error(row(p));
    }
    // Compared at G = 100 (or the largest G below it): at 200 the machine is saturated and every setting is CPU-bound.
    const at = Math.max(...sweep.filter((g) => g <= 100));
    if (compare) {
      for (const c of [SDK_DEFAULTS, NO_REUSE]) {
        const p = await measurePoint(env.client, address, model, bundlePath, c, at, windowMs);
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
  ];
  printReport({
    name: 'concurrency',
    title: '2. Concurrent goals on one worker',
    command: commandFor('concurrency'),
    size: `G = ${sweep.join(', ')}; ${windowMs / 1000} s measured after every goal is turning; model latency ${LATENCY_MS} ms`,
    figures,
    details: [
      '| worker settings | G | turns/s | ideal | of ideal | sched. delay p50 / p99 | WFT p99 | worker RSS (max) | worker cores | machine busy | ramp |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...points.map(row),
      '',
      `"chosen" = ${JSON.stringify(CHOSEN.tuning)}; "SDK defaults" = createGoalWorker as shipped (100 activity slots,`,
      '40 workflow-task slots, cache sized from the heap, 10 s sticky timeout); "chosen" runs on the shipped settings',
      '(worker/config.ts: 1 s sticky timeout). reuseV8Context defaults to true.',
      'Schedule-to-start delays cover every workflow task and activity scheduled in the window.',
    ],
    seconds: (Date.now() - started) / 1000,
  });
});
