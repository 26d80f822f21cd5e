/**
 * Benchmark 5 — verification cost. (a) The runs a relative-target verdict needs at 5%, 10% and 20% noise: the
 * workflow's paired rule (goal/stats.ts decidePaired, first 10 pairs then as many more as it asks) simulated for a
 * candidate 40% better against a −30% target (MET) and an unchanged one (NOT_MET). (b) The time a real verification
 * round adds over the metric command itself: a goal whose one turn changes a file, so the orchestrator fingerprints,
 * checks integrity and runs paired measurements; its span in the history against the runs' own time.
 */
import { execFileSync } from 'node:child_process';
import { startGoal } from '../client/goals';
import { DEFAULT_INITIAL_PAIRS, decidePaired } from '../goal/stats';
import { parseGoalSpec, warmupsFor } from '../goal/spec';
import { commandFor, main, sized } from './lib/cli';
import { workflowTasks } from './lib/history';
import { startScriptedModel } from './lib/model';
import { mean, median, percentile } from './lib/stats';
import { inProcessWorker, startDevServer } from './lib/temporal';
import { gaussian, mulberry32 as prng } from '../test/helpers/seeded-random';
import { gitWorkspace } from '../test/helpers/workspace';
import { figure, printReport, type Figure } from './results';

/** One verdict as the workflow reaches it (workflows/verify.ts measureRelative): pairs until decided. */
function trial(random: () => number, noise: number, scale: number): { verdict: string; pairs: number } {
  const pairs: { baseline: number; candidate: number }[] = [];
  let batch = DEFAULT_INITIAL_PAIRS;
  for (;;) {
    for (let i = 0; i < batch; i++) {
      pairs.push({ baseline: 1 + noise * gaussian(random), candidate: scale * (1 + noise * gaussian(random)) });
    }
    const d = decidePaired({ direction: 'lower', relative: -0.3, pairs });
    if (d.verdict !== 'INCONCLUSIVE' || d.morePairs === 0) {
      return { verdict: d.verdict === 'INCONCLUSIVE' ? 'NOT_MET' : d.verdict, pairs: pairs.length };
    }
    batch = d.morePairs;
  }
}

main(async () => {
  const started = Date.now();
  const trials = sized('trials', 2000, 300);
  const commandSeconds = sized('command-seconds', 0.5, 0.2);
  const figures: Figure[] = [];
  const details: string[] = [
    `(a) ${trials} seeded trials per cell; runs = 2 × pairs (baseline and candidate), plus ${warmupsFor(metricOf(commandSeconds)) * 2} warm-up runs per round.`,
    '',
    '| noise | candidate | verdict MET | runs mean | runs p50 / p90 / max |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const noise of [0.05, 0.1, 0.2]) {
    for (const [label, scale] of [
      ['40% better (target −30%)', 0.6],
      ['unchanged', 1],
    ] as const) {
      const random = prng(Math.round(noise * 1000 + scale * 7));
      const results = Array.from({ length: trials }, () => trial(random, noise, scale));
      const runs = results.map((r) => 2 * r.pairs);
      const met = results.filter((r) => r.verdict === 'MET').length / trials;
      details.push(
        `| ${noise * 100}% | ${label} | ${(met * 100).toFixed(1)}% | ${mean(runs).toFixed(1)} | ${median(runs)} / ${percentile(runs, 90)} / ${Math.max(...runs)} |`,
      );
      if (scale === 0.6)
        figures.push(figure(`runs for a verdict at ${noise * 100}% noise (40% better, mean)`, mean(runs), 'runs'));
    }
  }

  // (b) The time a real verification round adds over the command's own runs.
  const env = await startDevServer();
  const model = await startScriptedModel(0);
  let n = 0;
  model.reply = () =>
    ++n === 1
      ? { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.txt', content: 'a change\n' } }] }
      : { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] };
  const w = await inProcessWorker(env, model.fake.url);
  const ws = gitWorkspace({ 'run.sh': `sleep ${commandSeconds}\n` });
  const goalId = `verification-${process.pid}`;
  const rounds: { span: number; pairs: number; measured: number; perRun: number }[] = [];
  try {
    await w.worker.runUntil(async () => {
      const handle = await startGoal(
        env.client,
        parseGoalSpec({
          objective: 'Make run.sh 30% faster (a benchmark)',
          workspace: ws,
          metrics: [metricOf(commandSeconds)],
          budget: { maxTurns: 1 },
          git: { milestones: false },
          finalize: { reflect: false, cleanupTurns: 0 },
        }),
        { taskQueue: w.taskQueue, goalId },
      );
      await handle.result();
    });
    const { tasks } = await workflowTasks(env.client, goalId);
    // The round after turn 1: from the fingerprint to the last paired measurement.
    const from = tasks.findIndex((t) => t.name === 'fingerprintWorkspace');
    const round = tasks
      .slice(from)
      .filter((t) => ['fingerprintWorkspace', 'verifyIntegrity', 'measurePairs'].includes(t.name));
    const pairsTasks = round.filter((t) => t.name === 'measurePairs');
    const last = pairsTasks[pairsTasks.length - 1];
    if (from < 0 || !last) throw new Error('no verification round in the history');
    const ledger = execFileSync('cat', [`${w.home}/goals/${goalId}/ledger.jsonl`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind?: string; label?: string; durationMs?: number });
    const samples = ledger.filter((r) => r.kind === 'paired-sample' && r.label === 'turn 1');
    const each = samples.map((r) => r.durationMs ?? 0);
    rounds.push({
      span: last.completed! - tasks[from]!.scheduled,
      pairs: samples.length / 2,
      measured: each.reduce((a, b) => a + b, 0),
      perRun: median(each),
    });
  } finally {
    await model.close();
    await env.teardown();
  }
  const r = rounds[0]!;
  const warmups = warmupsFor(metricOf(commandSeconds)) * 2;
  // The command's own time: the runs as the activity timed them (the ledger), the unrecorded warm-ups at their median.
  const commandOnly = r.measured + warmups * r.perRun;
  const added = r.span / commandOnly - 1;
  figures.unshift(
    figure('time verification adds over the metric command (one round)', added * 100, '%', {
      text: '≤ 5%',
      ok: added <= 0.05,
    }),
  );
  details.push(
    '',
    `(b) One verification round of a goal: metric \`sleep ${commandSeconds}\` (wall_time, relative −30%), ${r.pairs} pairs + ${warmups} warm-up runs;`,
    `round span (fingerprint scheduled → last paired measurement completed) ${r.span} ms; the command's own time ${commandOnly.toFixed(0)} ms`,
    `(${r.measured} ms for the ${2 * r.pairs} recorded runs, as the activity timed each bash -c, plus ${warmups} warm-ups at the median ${r.perRun} ms).`,
  );
  printReport({
    name: 'verification',
    title: '5. Verification cost',
    command: commandFor('verification'),
    size: `${trials} simulated verdicts per cell; one real round with a ${commandSeconds} s metric command`,
    figures,
    details,
    seconds: (Date.now() - started) / 1000,
  });
});

function metricOf(seconds: number) {
  void seconds;
  return {
    name: 'run_seconds',
    command: 'bash run.sh',
    measure: 'wall_time' as const,
    direction: 'lower' as const,
    target: { relative: -0.3 },
    timeoutSeconds: 60,
  } as Parameters<typeof warmupsFor>[0];
}
