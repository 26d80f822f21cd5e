/** The goal every benchmark runs: a score that stays 0, read again each turn, so the loop runs its whole budget. */
import { cpSync } from 'node:fs';
import { parseGoalSpec, type GoalSpec, type GoalSpecInput } from '../../goal/spec';
import { scoreMetric, scoreWorkspace, tempDir } from '../../test/helpers/workspace';

export interface BenchGoalOptions {
  readonly workspace: string;
  readonly maxTurns: number;
  /** The model's context window in tokens; small keeps long runs' prompts (and the benchmark) light. @default 16000 */
  readonly contextWindow?: number;
  readonly extra?: Partial<GoalSpecInput>;
}

/**
 * Read-only turns (no verification between turns), no reflection or clean-up at the end, no milestone commits:
 * what is timed is the loop itself.
 */
export function benchGoal(o: BenchGoalOptions): GoalSpec {
  return parseGoalSpec({
    objective: 'Raise the score to 100 (a benchmark: the agent only reads)',
    workspace: o.workspace,
    metrics: [scoreMetric(100)],
    budget: { maxTurns: o.maxTurns },
    model: { contextWindow: o.contextWindow ?? 16_000 },
    stall: { noProgress: 100_000, repeatedFailures: 1000 },
    git: { milestones: false },
    finalize: { reflect: false, cleanupTurns: 0 },
    ...o.extra,
  });
}

/** `count` workspaces copied from one (git init once: faster for hundreds of goals). */
export function workspaces(count: number): string[] {
  const template = scoreWorkspace(0);
  const root = tempDir('longhaul-bench-ws-');
  return Array.from({ length: count }, (_, i) => {
    const dir = `${root}/ws-${i}`;
    cpSync(template, dir, { recursive: true });
    return dir;
  });
}
