/**
 * Benchmark 4 — context: prompt tokens per turn over a long scripted run (read-only turns, a small context window so
 * compaction happens again and again): the largest prompt against the configured bound (window × compactAt), and
 * the slope of prompt tokens over turns (flat: the prompt does not grow with the goal's age).
 */
import { startGoal } from '../client/goals';
import { promptTokensOf } from '../test/fakes/openai-server';
import { commandFor, main, sized } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { startScriptedModel } from './lib/model';
import { mean, slope } from './lib/stats';
import { inProcessWorker, startDevServer } from './lib/temporal';
import { figure, printReport } from './results';

const WINDOW = 8_000;
const COMPACT_AT = 0.6;

main(async () => {
  const started = Date.now();
  const turns = sized('turns', 2000, 300);
  const env = await startDevServer();
  const model = await startScriptedModel(0);
  const prompts: { turn: number; tokens: number }[] = [];
  let summaries = 0;
  model.onTurn = (req, a) =>
    void prompts.push({ turn: a.turn, tokens: promptTokensOf(req.body as Record<string, unknown>) });
  const w = await inProcessWorker(env, model.fake.url);
  const [ws] = workspaces(1);
  const runStart = performance.now();
  let runs = 0;
  try {
    await w.worker.runUntil(async () => {
      const handle = await startGoal(
        env.client,
        benchGoal({ workspace: ws!, maxTurns: turns, contextWindow: WINDOW, extra: {} }),
        { taskQueue: w.taskQueue, goalId: `context-${process.pid}`, tuning: { maxHistoryEvents: 1_500 } },
      );
      const outcome = await handle.result();
      summaries = outcome.turns; // replaced below by the status count
      const status = await handle.query('status');
      summaries = (status as { context: { compactions: number } }).context.compactions;
      for await (const _ of env.client.workflow.list({ query: `WorkflowId = 'context-${process.pid}'` })) runs += 1;
    });
  } finally {
    await model.close();
    await env.teardown();
  }
  const seconds = (performance.now() - runStart) / 1000;
  const bound = WINDOW * COMPACT_AT;
  const tokens = prompts.map((p) => p.tokens);
  const max = Math.max(...tokens);
  const all = slope(
    prompts.map((p) => p.turn),
    tokens,
  );
  // The prompt is a sawtooth: it fills towards the bound, compaction cuts it back. A line fitted through a sawtooth
  // tilts with where the run happens to stop, so flatness is judged per compaction cycle: the mean and the peak of
  // each whole cycle (from one compaction to the next), and their slopes over the run.
  const cycles = cyclesOf(prompts, 0.2 * bound);
  const cycleMid = cycles.map((c) => (c[0]!.turn + c[c.length - 1]!.turn) / 2);
  const cycleSlope = (of: (tokens: number[]) => number) =>
    cycles.length >= 2
      ? slope(
          cycleMid,
          cycles.map((c) => of(c.map((p) => p.tokens))),
        )
      : NaN;
  const meanSlope = cycleSlope(mean);
  const peakSlope = cycleSlope((tokens) => Math.max(...tokens));
  const firstTenth = mean(tokens.slice(Math.floor(turns * 0.1), Math.floor(turns * 0.2)));
  const lastTenth = mean(tokens.slice(Math.floor(turns * 0.9)));
  // Flat: the cycles' mean prompt would move by less than 5% of the bound over a run as long as this one.
  const drift = Math.abs(meanSlope * turns);
  printReport({
    name: 'context',
    title: '4. Context: prompt tokens per turn over a long run',
    command: commandFor('context'),
    size: `${turns} turns, context window ${WINDOW} tokens, compactAt ${COMPACT_AT} (bound ${bound} tokens)`,
    figures: [
      figure('largest prompt', max, 'tokens', { text: `≤ ${bound} (the bound)`, ok: max <= bound }),
      figure('slope of the mean prompt of each compaction cycle', meanSlope * 1000, 'tokens / 1,000 turns', {
        text: 'flat: drift < 5% of the bound over the run',
        ok: drift < 0.05 * bound,
      }),
      figure('slope of the peak prompt of each compaction cycle', peakSlope * 1000, 'tokens / 1,000 turns'),
      figure('slope over the whole run (includes the first fill of the window)', all * 1000, 'tokens / 1,000 turns'),
      figure('mean prompt, turns 10–20% / last 10%', lastTenth / firstTenth, '× (ratio)'),
      figure('compactions', summaries, ''),
      figure('wall time per turn (0 ms model)', (seconds * 1000) / turns, 'ms'),
    ],
    details: [
      `${cycles.length} whole compaction cycles of ${cycles.map((c) => c.length).join(', ')} turns.`,
      `${prompts.length} turn requests; ${runs} workflow runs (continue-as-new at 1,500 events); mean prompt ${mean(tokens).toFixed(0)} tokens.`,
      `Prompt tokens are counted by the fake server (test/fakes/openai-server.ts promptTokensOf: content/4 + 4 per item).`,
    ],
    seconds: (Date.now() - started) / 1000,
  });
});

/** The whole cycles between compactions (a prompt smaller than the one before by more than `drop`), in order. */
function cyclesOf<T extends { tokens: number }>(prompts: readonly T[], drop: number): T[][] {
  const cuts: number[] = [];
  for (let i = 1; i < prompts.length; i++) if (prompts[i]!.tokens < prompts[i - 1]!.tokens - drop) cuts.push(i);
  return cuts.slice(1).map((end, k) => prompts.slice(cuts[k], end));
}
