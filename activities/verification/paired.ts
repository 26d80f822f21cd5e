/**
 * Paired, interleaved measurement for relative targets: each pair runs the metric once on the baseline
 * (a git worktree of the start commit) and once on the candidate (the workspace), in random order, so slow
 * drifts of a shared machine hit both sides alike. Raw pairs go to the ledger; the workflow decides.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MetricSpec } from '../../goal/spec';
import { git, headCommit } from '../workspace/git';
import { sampleMetric, sampleRecord, warmUp, type SampleOptions } from './sample';
import { goalDir } from '../../common/goal-files';
import type { GoalStore } from '../store/types';

export interface MeasurePairsInput {
  readonly goalId: string;
  readonly workspace: string;
  /** The baseline worktree (see ensureBaselineWorktree). */
  readonly baselineDir: string;
  readonly metric: MetricSpec;
  readonly pairs: number;
  readonly label: string;
  /** The goal spec's env.allow: credential-like variables the command keeps. @default [] */
  readonly allowEnv?: readonly string[];
}

export interface MeasurePairsResult {
  readonly pairs: { readonly baseline: number; readonly candidate: number }[];
  /** Why the pairs stopped early: a side whose command failed. */
  readonly error?: string;
  readonly durationMs: number;
}

export async function measurePairs(
  store: GoalStore,
  input: MeasurePairsInput,
  opts: Pick<SampleOptions, 'redact'> = {},
): Promise<MeasurePairsResult> {
  const started = Date.now();
  const sampling: SampleOptions = { ...opts, ...(input.allowEnv ? { allowEnv: input.allowEnv } : {}) };
  const commit = await headCommit(input.workspace);
  const pairs: { baseline: number; candidate: number }[] = [];
  const records: object[] = [];
  let error: string | undefined;
  await warmUp(input.metric, [input.baselineDir, input.workspace], sampling);
  for (let i = 0; i < input.pairs && error === undefined; i++) {
    const order: ('baseline' | 'candidate')[] =
      Math.random() < 0.5 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    const values: Partial<Record<'baseline' | 'candidate', number>> = {};
    for (const role of order) {
      const dir = role === 'baseline' ? input.baselineDir : input.workspace;
      const s = await sampleMetric(input.metric, dir, { pair: i, role }, sampling);
      records.push(
        sampleRecord(s, {
          kind: 'paired-sample',
          goalId: input.goalId,
          metric: input.metric.name,
          label: input.label,
          role,
          pair: i,
          commit: role === 'candidate' ? commit : 'baseline',
        }),
      );
      if (!s.value.ok) {
        error = `${role === 'baseline' ? 'the baseline' : 'your version'}: ${s.value.error}`;
        break;
      }
      values[role] = s.value.value;
    }
    if (values.baseline !== undefined && values.candidate !== undefined) {
      pairs.push({ baseline: values.baseline, candidate: values.candidate });
    }
  }
  await store.appendLedger(input.goalId, records);
  return { pairs, ...(error !== undefined ? { error } : {}), durationMs: Date.now() - started };
}

export interface BaselineWorktreeInput {
  readonly goalId: string;
  readonly workspace: string;
  readonly startCommit: string;
}

/**
 * A detached git worktree of the start commit in the goal's host-local folder, created once and reused (also after
 * a retry or a restart): the baseline that relative targets are re-measured against.
 */
export async function ensureBaselineWorktree(home: string, input: BaselineWorktreeInput): Promise<{ dir: string }> {
  const dir = path.join(goalDir(home, input.goalId), 'baseline-worktree');
  if (existsSync(path.join(dir, '.git')) && (await headCommit(dir)) === input.startCommit) return { dir };
  await git(input.workspace, ['worktree', 'prune']);
  if (existsSync(dir)) await git(input.workspace, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
  await git(input.workspace, ['worktree', 'add', '--detach', '--force', dir, input.startCommit]);
  return { dir };
}
