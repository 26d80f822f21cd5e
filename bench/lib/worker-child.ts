/** Longhaul workers as child processes (so they can be SIGKILLed and their RSS and CPU read from /proc). */
import { workerProcessEnv } from '../../test/helpers/worker-process';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GoalWorkerTuning } from '../../worker/worker';

/** The compiled bench tree (dist/.bench): worker/main.js is the shipped worker, bench/lib/worker-main.js ours. */
const BENCH_DIST = path.resolve(__dirname, '..', '..');
export const SHIPPED_WORKER = path.join(BENCH_DIST, 'worker', 'main.js');
export const BENCH_WORKER = path.join(BENCH_DIST, 'bench', 'lib', 'worker-main.js');

export interface WorkerChildOptions {
  readonly address: string;
  readonly taskQueue: string;
  readonly home: string;
  readonly modelUrl: string;
  /** The shipped worker (worker/main.js: the build's bundle, or bundling at start) or the benchmark's (tuning, prebuilt bundle). */
  readonly main?: string;
  readonly tuning?: GoalWorkerTuning;
  /** `tuning` over the SDK's defaults rather than over the shipped worker's settings. */
  readonly sdkBase?: boolean;
  readonly bundlePath?: string;
  readonly nodeArgs?: readonly string[];
}

export interface WorkerChild {
  readonly child: ChildProcess;
  /** performance.now() when spawned. */
  readonly spawnedAt: number;
  /** Resolves with performance.now() when the worker says it polls. */
  readonly ready: Promise<number>;
  readonly output: () => string;
  readonly exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startWorkerChild(o: WorkerChildOptions): WorkerChild {
  const spawnedAt = performance.now();
  // BENCH_WORKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": to profile the workers a benchmark starts.
  const extra = process.env.BENCH_WORKER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, ...(o.nodeArgs ?? []), o.main ?? BENCH_WORKER], {
    env: workerProcessEnv({
      address: o.address,
      taskQueue: o.taskQueue,
      home: o.home,
      openaiBaseUrl: o.modelUrl,
      apiKey: 'sk-bench',
      env: {
        LONGHAUL_LOG_LEVEL: 'WARN',
        ...(o.tuning ? { LONGHAUL_BENCH_TUNING: JSON.stringify(o.tuning) } : {}),
        ...(o.sdkBase ? { LONGHAUL_BENCH_BASE: 'sdk' } : {}),
        ...(o.bundlePath ? { LONGHAUL_BENCH_BUNDLE: o.bundlePath } : {}),
      },
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onReady: (t: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  const collect = (d: Buffer) => {
    output += d.toString();
    if (output.includes('polling task queue')) onReady(performance.now());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    spawnedAt,
    ready,
    output: () => output,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface Usage {
  /** Resident set size, bytes. */
  readonly rss: number;
  /** User + system CPU time so far, ms. */
  readonly cpuMs: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** RSS and CPU time of a process, from /proc (Linux). */
export function usageOf(pid: number): Usage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
  return { rss: rssKb * 1024, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}
