/**
 * Benchmark 6 — CLI: `longhaul status <goal> --json` as a user runs it (a new Node process each time: start, load,
 * connect, query the goal), against Node's own start and the CLI's module loading (`--help`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startGoal } from '../client/goals';
import { commandFor, main, sized, sleep } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { startScriptedModel } from './lib/model';
import { median } from './lib/stats';
import { inProcessWorker, startDevServer } from './lib/temporal';
import { figure, printReport } from './results';

/** The CLI compiled from the current sources (bin/longhaul.js loads the same file from dist/client). */
const CLI = path.resolve(__dirname, '..', 'client', 'cli.js');

/** Runs node with `args`, asynchronously (the worker in this process must keep answering queries meanwhile). */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; ok: boolean; out: string }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - t, ok: code === 0, out }));
  });
}

main(async () => {
  const started = Date.now();
  const runs = sized('runs', 20, 5);
  const env = await startDevServer();
  // A running goal (what `status` is for): turning slowly, so the worker answers queries between turns.
  const model = await startScriptedModel(1000);
  const w = await inProcessWorker(env, model.fake.url);
  const running = w.worker.run();
  const goalId = `cli-${process.pid}`;
  const [ws] = workspaces(1);
  const times = { node: [] as number[], help: [] as number[], status: [] as number[] };
  try {
    const handle = await startGoal(env.client, benchGoal({ workspace: ws!, maxTurns: 100_000 }), {
      taskQueue: w.taskQueue,
      goalId,
    });
    while (model.arrivals.length < 3) await sleep(100);
    const cliEnv = { TEMPORAL_ADDRESS: env.address };
    const first = await timed([CLI, 'status', goalId, '--json'], cliEnv);
    if (!first.ok) throw new Error(`longhaul status failed: ${first.out}`);
    for (let i = 0; i < runs; i++) {
      times.node.push((await timed(['-e', '0'], {})).ms);
      times.help.push((await timed([CLI, '--help'], {})).ms);
      times.status.push((await timed([CLI, 'status', goalId, '--json'], cliEnv)).ms);
    }
    await handle.terminate('benchmark over');
  } finally {
    w.worker.shutdown();
    await running;
    await model.close();
    await env.teardown();
  }
  const status = median(times.status);
  printReport({
    name: 'cli',
    title: '6. CLI: `longhaul status --json`',
    command: commandFor('cli'),
    size: `${runs} runs of each, interleaved`,
    figures: [
      figure('`longhaul status --json` (median)', status, 'ms', { text: '≤ 400 ms', ok: status <= 400 }),
      figure('of which Node start (`node -e 0`)', median(times.node), 'ms'),
      figure(
        'of which loading the CLI (`longhaul --help` less Node start)',
        median(times.help) - median(times.node),
        'ms',
      ),
      figure('of which connecting and querying (status less --help)', status - median(times.help), 'ms'),
    ],
    details: [],
    seconds: (Date.now() - started) / 1000,
  });
});
