/**
 * The orchestrator's measurement of a draft's proposal, in a fresh copy of the workspace: each metric's command
 * several times (the baseline and its noise; once for a deterministic metric), each check once. The model's word
 * is never taken for a baseline.
 */
import { median } from '../../goal/decision';
import type { DraftMeasurement, MeasuredCheck, MeasuredMetric } from '../../goal/draft';
import { protectionInput, protectionWarnings } from '../../goal/protection';
import { protectionPlan } from '../security/protected-paths';
import { isDeterministic, type CheckSpec, type GoalSpec, type MetricSpec } from '../../goal/spec';
import { runCheckCommand } from '../verification/measure';
import type { Redact } from '../security/redact';
import { sampleMetric, warmUp, type SampleOptions } from '../verification/sample';
import { checkProposal } from '../tools/propose';
import { truncateHeadTail } from '../tools/truncate';
import { makeDraftCopy, removeDraftCopies } from './copy';

export interface MeasureDraftInput {
  readonly draftDir: string;
  readonly workspace: string;
  readonly specYaml: string;
  /** @default the worker environment's secrets */
  readonly redact?: Redact;
}

/** Samples per metric when the spec says fewer: enough to see the noise. */
const MIN_SAMPLES = 5;

export async function measureDraft(input: MeasureDraftInput): Promise<DraftMeasurement> {
  const started = Date.now();
  const checked = checkProposal(input.specYaml, input.workspace);
  if (!checked.ok) throw new Error(`the proposal no longer validates: ${checked.problems.join('; ')}`);
  const spec = checked.spec;
  const dir = await makeDraftCopy({ draftDir: input.draftDir, workspace: input.workspace, purpose: 'measure' });
  try {
    // The proposal's own env.allow applies, as it will when the goal runs.
    const opts: SampleOptions = {
      ...(spec.env ? { allowEnv: spec.env.allow } : {}),
      ...(input.redact ? { redact: input.redact } : {}),
    };
    // Before any command runs in the copy: what the goal would protect, as the worker will decide it at baseline.
    const plan = await protectionPlan(protectionInput(spec), dir).catch(() => null);
    const metrics: MeasuredMetric[] = [];
    for (const metric of spec.metrics) metrics.push(await measureOne(metric, dir, opts));
    const checks: MeasuredCheck[] = [];
    for (const check of spec.checks) checks.push(await runOne(check, dir, opts));
    return {
      metrics,
      checks,
      protect: spec.protect,
      protection: { entries: plan?.entries ?? null, warnings: protectionWarnings(spec) },
      objective: spec.objective,
      budget: budgetText(spec.budget),
      durationMs: Date.now() - started,
    };
  } finally {
    await removeDraftCopies(input.draftDir).catch(() => undefined);
  }
}

async function measureOne(metric: MetricSpec, dir: string, opts: SampleOptions): Promise<MeasuredMetric> {
  const runs = isDeterministic(metric) ? 1 : Math.max(metric.repeat ?? 1, MIN_SAMPLES);
  await warmUp(metric, [dir], opts);
  const values: number[] = [];
  const durations: number[] = [];
  let error: string | null = null;
  for (let i = 0; i < runs && error === null; i++) {
    const s = await sampleMetric(metric, dir, { metric: metric.name, sample: i }, opts);
    durations.push(s.durationMs);
    if (s.value.ok) values.push(s.value.value);
    else error = s.value.error;
  }
  return {
    name: metric.name,
    command: metric.command,
    direction: metric.direction,
    target: metric.target,
    values,
    error,
    runMs: median(durations),
  };
}

async function runOne(check: CheckSpec, dir: string, opts: SampleOptions): Promise<MeasuredCheck> {
  const { run, output, passed } = await runCheckCommand(check, dir, opts);
  return {
    name: check.name,
    command: check.command,
    passed,
    exitCode: run.exitCode,
    excerpt: truncateHeadTail(output, 1000).text,
  };
}

function budgetText(b: GoalSpec['budget']): string {
  return [
    `${b.maxTurns} turns`,
    ...(b.maxHours !== undefined ? [`${b.maxHours} h`] : []),
    ...(b.maxTokens !== undefined ? [`${b.maxTokens} tokens`] : []),
    ...(b.maxCostUsd !== undefined ? [`$${b.maxCostUsd}`] : []),
  ].join(', ');
}
