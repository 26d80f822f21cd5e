/**
 * Goal edits: what a user may change on a running goal, how an edit is validated against the goal as it
 * stands (including edits still waiting for the next turn boundary), and how it is described to the agent
 * and to humans. Pure: the workflow's update validator and handler call these.
 */
import { MAX_EDIT_BYTES, tooLarge } from './payload';
import { z } from 'zod';
import {
  checklistItems,
  checklistSpec,
  checkSpec,
  describeIssues,
  goalSpec,
  metricSpec,
  metricTarget,
  type GoalSpec,
  type MetricSpec,
} from './spec';

export const goalEdit = z
  .object({
    objective: z.string().trim().min(1, 'objective must not be empty').optional(),
    guidance: z.string().optional().describe('replaces the spec guidance ("" clears it)'),
    metrics: z.array(metricSpec).optional().describe('replaces the list of metrics'),
    targets: z
      .record(z.string(), metricTarget)
      .optional()
      .describe('new targets by metric name, e.g. { build_seconds: { relative: -0.4 } }'),
    checks: z.array(checkSpec).optional().describe('replaces the list of checks'),
    checklist: checklistSpec.optional().describe('replaces the checklist'),
    editable: z
      .array(z.string().trim().min(1))
      .min(1)
      .optional()
      .describe('globs added to the spec editable: exempt from the automatic protection; taken again at once'),
    budget: z
      .object({
        maxTurns: z.int().min(1).max(1_000_000).optional(),
        maxTokens: z.int().min(1).optional(),
        maxHours: z.number().positive().optional(),
        maxCostUsd: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    reason: z.string().trim().max(1000).optional().describe('why, in the user’s words; shown to the agent'),
  })
  .strict()
  .refine((e) => Object.keys(e).some((k) => k !== 'reason'), {
    message:
      'an edit must change something: objective, guidance, metrics, targets, checks, checklist, editable or budget',
  });
export type GoalEdit = z.infer<typeof goalEdit>;

/** Thrown (by the update validator) when an edit is refused; the goal is unchanged. */
export class InvalidEditError extends Error {
  override readonly name = 'InvalidEditError';
  constructor(readonly problems: readonly string[]) {
    super(`edit rejected, the goal is unchanged:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** What has been spent so far, for refusing budgets below it. */
export interface Spent {
  readonly turns: number;
  readonly tokens: number;
  readonly hours: number;
  /** US dollars of model spend; unknown (no check) when absent. */
  readonly costUsd?: number;
}

/** Parses an edit; throws InvalidEditError naming each bad field. */
export function parseGoalEdit(input: unknown): GoalEdit {
  const big = tooLarge('the edit', input, MAX_EDIT_BYTES, 'send a shorter edit; long texts belong in the plan file');
  if (big) throw new InvalidEditError([big]);
  const result = goalEdit.safeParse(input);
  if (!result.success) throw new InvalidEditError(describeIssues(result.error));
  return result.data;
}

/** The spec after `edit`; throws InvalidEditError when the result would not be a valid goal or undercuts the spend. */
export function applyEditToSpec(spec: GoalSpec, edit: GoalEdit, spent: Spent): GoalSpec {
  const problems: string[] = [];
  let metrics = edit.metrics ?? spec.metrics;
  if (edit.targets) {
    for (const name of Object.keys(edit.targets)) {
      if (!metrics.some((m) => m.name === name)) {
        // Metric names are short identifiers; anything else is shown quoted and cut, never echoed whole.
        // eslint-disable-next-line no-control-regex
        const plain = name.length <= 64 && !/[\x00-\x1f\x7f"]/.test(name);
        const shown = plain ? name : JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
        problems.push(
          `targets.${shown}: no metric named ${plain ? `"${name}"` : shown} (metrics: ${metrics.map((m) => m.name).join(', ') || 'none'})`,
        );
      }
    }
    const targets = edit.targets;
    // Own keys only: a metric named "constructor" or "toString" must not pick up Object.prototype's member.
    metrics = metrics.map((m) => (Object.hasOwn(targets, m.name) ? { ...m, target: targets[m.name]! } : m));
  }
  const budget = { ...spec.budget, ...edit.budget };
  if (edit.budget?.maxTurns !== undefined && edit.budget.maxTurns < spent.turns) {
    problems.push(`budget.maxTurns: ${edit.budget.maxTurns} is below the ${spent.turns} turns already used`);
  }
  if (edit.budget?.maxTokens !== undefined && edit.budget.maxTokens < spent.tokens) {
    problems.push(`budget.maxTokens: ${edit.budget.maxTokens} is below the ${spent.tokens} tokens already used`);
  }
  if (edit.budget?.maxHours !== undefined && edit.budget.maxHours < spent.hours) {
    problems.push(`budget.maxHours: ${edit.budget.maxHours} is below the ${spent.hours.toFixed(2)} hours already used`);
  }
  if (edit.budget?.maxCostUsd !== undefined && spent.costUsd !== undefined && edit.budget.maxCostUsd < spent.costUsd) {
    problems.push(`budget.maxCostUsd: $${edit.budget.maxCostUsd} is below the $${usd(spent.costUsd)} already spent`);
  }
  const candidate = {
    ...spec,
    ...(edit.objective !== undefined ? { objective: edit.objective } : {}),
    ...(edit.guidance !== undefined ? { guidance: edit.guidance } : {}),
    ...(edit.checks !== undefined ? { checks: edit.checks } : {}),
    ...(edit.checklist !== undefined ? { checklist: edit.checklist } : {}),
    ...(edit.editable !== undefined ? { editable: [...new Set([...(spec.editable ?? []), ...edit.editable])] } : {}),
    metrics,
    budget,
  };
  if (candidate.guidance === '') delete candidate.guidance;
  const parsed = goalSpec.safeParse(candidate);
  if (!parsed.success) problems.push(...describeIssues(parsed.error));
  if (problems.length > 0) throw new InvalidEditError(problems);
  return parsed.data!;
}

/** Dollars with cents, or two significant digits below a cent (so a small spend does not read as $0.00). */
function usd(n: number): string {
  return n > 0 && n < 0.01 ? n.toPrecision(2) : n.toFixed(2);
}

/** Metrics whose measurement changed (or that are new): their baseline must be measured again. */
export function metricsToRebaseline(before: GoalSpec, after: GoalSpec): string[] {
  return after.metrics
    .filter((m) => {
      const old = before.metrics.find((o) => o.name === m.name);
      return !old || measurementKey(old) !== measurementKey(m);
    })
    .map((m) => m.name);
}

function measurementKey(m: MetricSpec): string {
  return JSON.stringify([
    m.command,
    m.measure,
    m.pattern ?? null,
    m.path ?? null,
    m.report ?? null,
    m.count ?? null,
    m.direction,
  ]);
}

function targetText(m: MetricSpec): string {
  if ('absolute' in m.target) return `${m.direction === 'lower' ? '≤' : '≥'} ${m.target.absolute}`;
  const pct = m.target.relative * 100;
  return `${pct > 0 ? '+' : ''}${Number(pct.toPrecision(4))}% vs baseline`;
}

/** Human and agent-readable list of what an edit changed, one line per change. */
export function describeChanges(before: GoalSpec, after: GoalSpec): string[] {
  const lines: string[] = [];
  if (before.objective !== after.objective) lines.push(`objective: "${before.objective}" → "${after.objective}"`);
  if ((before.guidance ?? '') !== (after.guidance ?? '')) {
    lines.push(after.guidance ? `guidance is now: "${after.guidance}"` : 'guidance removed');
  }
  for (const m of after.metrics) {
    const old = before.metrics.find((o) => o.name === m.name);
    if (!old) lines.push(`metric ${m.name} added: \`${m.command}\` (${m.measure}), target ${targetText(m)}`);
    else {
      if (measurementKey(old) !== measurementKey(m))
        lines.push(`metric ${m.name} now measured by \`${m.command}\` (${m.measure}); re-baselined`);
      if (targetText(old) !== targetText(m)) lines.push(`target of ${m.name}: ${targetText(old)} → ${targetText(m)}`);
      if (old.timeoutSeconds !== m.timeoutSeconds)
        lines.push(`timeout of ${m.name}: ${old.timeoutSeconds} s → ${m.timeoutSeconds} s`);
      if ((old.repeat ?? null) !== (m.repeat ?? null) || (old.deterministic ?? null) !== (m.deterministic ?? null)) {
        lines.push(
          `sampling of ${m.name}: repeat ${old.repeat ?? 'default'} → ${m.repeat ?? 'default'}${m.deterministic !== undefined ? `, deterministic ${m.deterministic}` : ''}`,
        );
      }
    }
  }
  for (const m of before.metrics)
    if (!after.metrics.some((n) => n.name === m.name)) lines.push(`metric ${m.name} removed`);
  for (const c of after.checks) {
    const old = before.checks.find((o) => o.name === c.name);
    if (!old) lines.push(`check "${c.name}" added: \`${c.command}\``);
    else if (old.command !== c.command) lines.push(`check "${c.name}" now runs \`${c.command}\``);
    else if (old.timeoutSeconds !== c.timeoutSeconds)
      lines.push(`timeout of check "${c.name}": ${old.timeoutSeconds} s → ${c.timeoutSeconds} s`);
  }
  for (const c of before.checks)
    if (!after.checks.some((n) => n.name === c.name)) lines.push(`check "${c.name}" removed`);
  const items = (s: GoalSpec) => checklistItems(s).map((c) => c.item);
  for (const item of items(after)) if (!items(before).includes(item)) lines.push(`checklist item added: "${item}"`);
  for (const item of items(before)) if (!items(after).includes(item)) lines.push(`checklist item removed: "${item}"`);
  for (const c of checklistItems(after)) {
    const old = checklistItems(before).find((o) => o.item === c.item);
    if (old && (old.command ?? null) !== (c.command ?? null)) {
      lines.push(
        c.command
          ? `checklist "${c.item}" now verified by \`${c.command}\``
          : `checklist "${c.item}" now verified by the judge`,
      );
    }
  }
  const editable = new Set(before.editable ?? []);
  for (const glob of after.editable ?? []) {
    if (!editable.has(glob)) lines.push(`${glob} is now editable (exempt from the automatic protection)`);
  }
  for (const key of ['maxTurns', 'maxTokens', 'maxHours', 'maxCostUsd'] as const) {
    if (before.budget[key] !== after.budget[key])
      lines.push(`budget.${key}: ${before.budget[key] ?? 'none'} → ${after.budget[key] ?? 'none'}`);
  }
  return lines;
}
