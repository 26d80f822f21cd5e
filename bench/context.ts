/**
 * Benchmark 4 — context: prompt tokens per turn over a long scripted run (read-only turns, a small context window so
 * compaction happens again and again): the largest prompt against the configured bound (window × compactAt), and
 * the slope of prompt tokens over turns (flat: the prompt does not grow with the goal's age). And the share of each
 * turn's prompt the fake's prefix cache (OpenAI's rules, test/fakes/openai-server.ts PromptCache) served, for the
 * cache-friendly layout and, the same run on a worker with `contextLayout: 'legacy'`, for the layout from before.
 */
import { startGoal } from '../client/goals';
import { promptTokensOf } from '../test/fakes/openai-server';
import { commandFor, main, sized } from './lib/cli';
import { benchGoal, workspaces } from './lib/goals';
import { startScriptedModel } from './lib/model';
import { mean, median, percentile, slope } from './lib/stats';
import type { ContextLayout } from '../activities/agent/turn-context';
import { inProcessWorker, startDevServer } from './lib/temporal';
import { figure, printReport } from './results';

const WINDOW = 8_000;
const COMPACT_AT = 0.6;

interface TurnPrompt {
  readonly turn: number;
  readonly tokens: number;
  /** Served from the fake's prefix cache. */
  readonly cached: number;
  /** A compaction ran since the previous turn (the prefix may reset there). */
  readonly afterCompaction: boolean;
}

interface LayoutRun {
  readonly prompts: TurnPrompt[];
  readonly compactions: number;
  readonly runs: number;
  readonly seconds: number;
  /** The cached share of each turn's prompt between compactions (the first turn, and each after one, left out). */
  readonly shares: number[];
}

/** One goal of `turns` read-only turns on a worker with the given layout. */
async function runLayout(turns: number, layout: ContextLayout): Promise<LayoutRun> {
  const env = await startDevServer();
  const model = await startScriptedModel(0);
  const prompts: TurnPrompt[] = [];
  let seen = 0;
  model.onTurn = (req, a) => {
    prompts.push({
      turn: a.turn,
      tokens: promptTokensOf(req.body as Record<string, unknown>),
      cached: req.cachedTokens ?? 0,
      afterCompaction: model.summaries !== seen,
    });
    seen = model.summaries;
  };
  const w = await inProcessWorker(env, model.fake.url, { contextLayout: layout });
  const [ws] = workspaces(1);
  const goalId = `context-${layout}-${process.pid}`;
  const runStart = performance.now();
  let runs = 0;
  let compactions = 0;
  try {
    await w.worker.runUntil(async () => {
      const handle = await startGoal(
        env.client,
        benchGoal({ workspace: ws!, maxTurns: turns, contextWindow: WINDOW, extra: {} }),
        { taskQueue: w.taskQueue, goalId, tuning: { maxHistoryEvents: 1_500 } },
      );
      await handle.result();
      const status = await handle.query('status');
      compactions = (status as { context: { compactions: number } }).context.compactions;
      for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${goalId}'` })) runs += 1;
    });
  } finally {
    await model.close();
    await env.teardown();
  }
  const seconds = (performance.now() - runStart) / 1000;
  const shares = prompts.slice(1).flatMap((p) => (p.afterCompaction ? [] : [p.cached / p.tokens]));
  return { prompts, compactions, runs, seconds, shares };
}

main(async () => {
  const started = Date.now();
  const turns = sized('turns', 2000, 300);
  // The layout from before first, measured the same way (same fake, same goal, same number of turns).
  const before = await runLayout(turns, 'legacy');
  const after = await runLayout(turns, 'append');
  const { prompts, runs, seconds } = after;
  const summaries = after.compactions;
  const totalShare = (r: LayoutRun) =>
    r.prompts.reduce((n, p) => n + p.cached, 0) / r.prompts.reduce((n, p) => n + p.tokens, 0);
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
      figure('prompt cache: median share served per turn between compactions', 100 * median(after.shares), '%', {
        text: '≥ 90%',
        ok: median(after.shares) >= 0.9,
      }),
      figure('prompt cache: median share, layout before issue 17 ("before")', 100 * median(before.shares), '%'),
      figure(
        'prompt cache: 10th percentile share per turn between compactions',
        100 * percentile(after.shares, 10),
        '%',
      ),
      figure('prompt cache: 10th percentile share, before', 100 * percentile(before.shares, 10), '%'),
      figure('prompt cache: share of all prompt tokens, compactions included', 100 * totalShare(after), '%'),
      figure('prompt cache: share of all prompt tokens, before', 100 * totalShare(before), '%'),
      figure(
        'prompt tokens the server evaluated (not cached), before / after',
        uncached(before) / uncached(after),
        '×',
      ),
      figure('wall time per turn (0 ms model)', (seconds * 1000) / turns, 'ms'),
    ],
    details: [
      `${cycles.length} whole compaction cycles of ${cycles.map((c) => c.length).join(', ')} turns.`,
      `${prompts.length} turn requests; ${runs} workflow runs (continue-as-new at 1,500 events); mean prompt ${mean(tokens).toFixed(0)} tokens.`,
      `Prompt tokens are counted by the fake server (test/fakes/openai-server.ts promptTokensOf: content/4 + 4 per item).`,
      `Cached tokens by the fake's prefix cache (OpenAI's rules: the longest prefix shared with an earlier request of the same prompt_cache_key, 1,024 tokens then 128-token steps). "Before": the same run on a worker with contextLayout: 'legacy' (the brief, with the turn number, in the instructions; ${before.compactions} compactions, mean prompt ${mean(before.prompts.map((p) => p.tokens)).toFixed(0)} tokens, ${before.seconds.toFixed(0)} s).`,
    ],
    seconds: (Date.now() - started) / 1000,
  });
});

/** Prompt tokens the server had to evaluate: those not served from its cache. */
function uncached(r: LayoutRun): number {
  return r.prompts.reduce((n, p) => n + p.tokens - p.cached, 0);
}

/** The whole cycles between compactions (a prompt smaller than the one before by more than `drop`), in order. */
function cyclesOf<T extends { tokens: number }>(prompts: readonly T[], drop: number): T[][] {
  const cuts: number[] = [];
  for (let i = 1; i < prompts.length; i++) if (prompts[i]!.tokens < prompts[i - 1]!.tokens - drop) cuts.push(i);
  return cuts.slice(1).map((end, k) => prompts.slice(cuts[k], end));
}
